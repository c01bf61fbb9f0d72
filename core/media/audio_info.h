// What an audio track's configuration says about it: enough for an fMP4 `mp4a` sample entry,
// an ADTS header and an HLS `CODECS` attribute. Filled by the AAC parsers.
#pragma once

#include <cstdint>
#include <string>

namespace tidecast::core::media {

struct AudioInfo {
  uint32_t sampleRate = 0;  // Hz; for explicit HE-AAC (SBR) the output rate
  uint8_t channels = 0;     // 0 when a program config element defines them
  uint8_t objectType = 0;   // MPEG-4 audioObjectType (2 = AAC LC, 5 = SBR, 29 = PS)
  std::string codecString;  // RFC 6381: "mp4a.40.2"
};

}  // namespace tidecast::core::media
