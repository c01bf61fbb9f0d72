// LL-HLS media playlists (RFC 8216bis, Apple's Low-Latency HLS), one per CMAF track:
// segments of the window with EXT-X-PROGRAM-DATE-TIME and EXT-X-MAP, parts
// (EXT-X-PART) for the last few segments, EXT-X-PRELOAD-HINT for the part in production,
// EXT-X-RENDITION-REPORT for the other track, EXT-X-SKIP in delta updates.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/cmaf/cmaf_track.h"
#include "delivery/cmaf/stream_packager.h"

namespace tidecast::delivery::hls {

// The latest part listed for a track: what a blocking reload waits for and what a
// rendition report announces. `part` is -1 when the segment `msn` has no part yet.
struct PlaylistPosition {
  bool any = false;
  uint64_t msn = 0;
  int64_t part = -1;
};
PlaylistPosition lastPosition(const cmaf::CmafTrack& track);

// EXT-X-TARGETDURATION: the configured target, or the longest segment seen, rounded.
uint32_t targetDurationSeconds(const cmaf::CmafTrack& track, const cmaf::CmafConfig& settings);
// CAN-SKIP-UNTIL: six target durations (RFC 8216bis 4.4.3.8).
double skipUntilSeconds(const cmaf::CmafTrack& track, const cmaf::CmafConfig& settings);

// Another playlist of the presentation an EXT-X-RENDITION-REPORT announces: a transcoded
// rendition's ("480p/video.m3u8") or, from a rendition's playlist, the source's
// ("../video.m3u8").
struct RenditionReport {
  std::string uri;  // relative to the playlist reporting it
  const cmaf::CmafTrack* track = nullptr;
};

// `trackName` is "video" or "audio": object URIs are relative ("video/p12.m4s"). The
// packager's other track is reported, then `reports`.
std::string renderMediaPlaylist(cmaf::StreamPackager& packager, const cmaf::CmafTrack& track,
                                std::string_view trackName, bool skip,
                                const std::vector<RenditionReport>& reports = {});

}  // namespace tidecast::delivery::hls
