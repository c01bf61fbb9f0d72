// AV1 helpers: the AV1CodecConfigurationRecord (av1C, AV1 ISOBMFF binding 2.3), the sequence
// header OBU (AV1 spec 5.5) as far as size, bit depth and timing, and the codec string
// "av01.P.LLT.DD" (AV1 ISOBMFF binding, Codecs Parameter String). AV1 keyframes are known
// from the container (FLV frame type), so there is no bitstream keyframe detection here.
#pragma once

#include <cstdint>
#include <string>

#include "core/media/bytes.h"
#include "core/media/video_info.h"
#include "core/result.h"

namespace tidecast::core::media {

inline constexpr uint8_t kAv1ObuSequenceHeader = 1;

struct Av1Config {
  uint8_t profile = 0;   // seq_profile
  uint8_t level = 0;     // seq_level_idx_0
  uint8_t tier = 0;      // seq_tier_0
  uint8_t bitDepth = 8;  // from high_bitdepth / twelve_bit
  bool monochrome = false;
  uint8_t chromaSubsamplingX = 1;
  uint8_t chromaSubsamplingY = 1;
  uint8_t chromaSamplePosition = 0;
  Bytes configObus;  // usually the sequence header OBU; may be empty
};

Result<Av1Config> parseAv1Config(ByteSpan record);

// Finds the sequence header OBU in a run of OBUs (configOBUs or a temporal unit) and reads
// it: max_frame_width/height, seq_profile, seq_level_idx[0], tier, bit depth, monochrome,
// fps when timing_info says equal_picture_interval. media.invalid when there is none.
Result<VideoInfo> parseAv1SequenceHeader(ByteSpan obus);

// The sequence header in configOBUs (media.invalid when the record carries none).
Result<VideoInfo> videoInfoOf(const Av1Config& config);

// "av01.0.04M.08": profile, two-digit level, tier M/H, two-digit bit depth.
std::string av1CodecString(uint8_t profile, uint8_t level, uint8_t tier, uint8_t bitDepth);

}  // namespace tidecast::core::media
