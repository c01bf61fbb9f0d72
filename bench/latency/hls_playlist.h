// What the readers need from an HLS playlist (RFC 8216bis, with the LL-HLS tags): media
// segments and partial segments with their sequence numbers, the preload hint, the server's
// blocking-reload support, and a multivariant playlist's variant URIs.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tidecast::bench::latency {

struct HlsSegment {
  int64_t msn = 0;
  std::string uri;
};

struct HlsPart {
  int64_t msn = 0;  // its segment's media sequence number
  int index = 0;    // its place in that segment, from 0
  std::string uri;

  bool after(const HlsPart& other) const {
    return msn > other.msn || (msn == other.msn && index > other.index);
  }
};

struct HlsPlaylist {
  bool valid = false;  // started with #EXTM3U
  int64_t mediaSequence = 0;
  double targetDurationS = 0;
  double partTargetS = 0;
  bool canBlockReload = false;
  bool endList = false;
  std::vector<HlsSegment> segments;   // complete segments
  std::vector<HlsPart> parts;         // all listed parts, in order
  std::string preloadHintUri;         // EXT-X-PRELOAD-HINT TYPE=PART, "" without
  std::vector<std::string> variants;  // EXT-X-STREAM-INF URIs (multivariant playlist)

  // Media sequence number of the segment after the last complete one (the one in progress).
  int64_t nextMsn() const {
    return mediaSequence + skipped + static_cast<int64_t>(segments.size());
  }
  int64_t skipped = 0;  // EXT-X-SKIP SKIPPED-SEGMENTS (delta update)
};

HlsPlaylist parseHlsPlaylist(std::string_view text);

// An attribute list (KEY=VALUE,KEY="quoted, value",...) as a map, quotes removed.
std::map<std::string, std::string> parseAttributes(std::string_view list);

}  // namespace tidecast::bench::latency
