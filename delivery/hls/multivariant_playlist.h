// The multivariant (master) playlist of a stream: one variant for the video track with
// BANDWIDTH / AVERAGE-BANDWIDTH measured over the segment window, CODECS, RESOLUTION and
// FRAME-RATE, one more per transcoded rendition, and the audio track as an EXT-X-MEDIA
// rendition group all variants share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "delivery/cmaf/cmaf_track.h"
#include "delivery/cmaf/stream_packager.h"

namespace tidecast::delivery::hls {

struct TrackBandwidth {
  uint64_t peak = 0;     // bits/s of the densest segment
  uint64_t average = 0;  // bits/s over the window
  double frameRate = 0;  // samples per second over the window
};
// Over the complete segments, or the one in progress when none is complete yet.
TrackBandwidth measureBandwidth(const cmaf::CmafTrack& track);

// Empty when the stream has no described track yet. `renditions` (transcoded, each with a
// video track) are listed after the source as variants of their own ("480p/video.m3u8")
// sharing the source's audio; `listSource` false leaves the source out when there are any.
std::string renderMultivariantPlaylist(cmaf::StreamPackager& packager,
                                       const std::vector<cmaf::StreamPackager*>& renditions = {},
                                       bool listSource = true);

}  // namespace tidecast::delivery::hls
