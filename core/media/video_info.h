// What a video track's parameter sets say about it: enough to write an fMP4 init segment's
// track header, an HLS `CODECS`/`RESOLUTION`/`FRAME-RATE` attribute and a DASH
// Representation. Filled by the H.264, HEVC and AV1 parsers.
#pragma once

#include <cstdint>
#include <string>

namespace tidecast::core::media {

struct VideoInfo {
  uint32_t width = 0;  // displayed size: after cropping / conformance window
  uint32_t height = 0;
  double fps = 0;           // 0 when the bitstream does not say
  std::string codecString;  // RFC 6381: "avc1.64001f", "hvc1.1.6.L93.90", "av01.0.04M.08"
  uint8_t profile = 0;      // profile_idc (H.264, HEVC) or seq_profile (AV1)
  uint8_t level = 0;        // level_idc (H.264, HEVC) or seq_level_idx (AV1)
  uint8_t bitDepth = 8;     // luma
  uint8_t bitDepthChroma = 8;
  uint8_t chromaFormat = 1;  // 0 = 4:0:0, 1 = 4:2:0, 2 = 4:2:2, 3 = 4:4:4
};

}  // namespace tidecast::core::media
