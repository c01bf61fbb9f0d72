// H.264/AVC helpers: the AVCDecoderConfigurationRecord (avcC, ISO/IEC 14496-15 5.3.3), the
// sequence parameter set (ITU-T H.264 7.3.2.1) as far as size, bit depth and frame rate,
// keyframe detection and the RFC 6381 codec string. Parameter sets are small and parsed once
// per stream, so they are copied out of the input; nothing here keeps a reference to it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/media/bytes.h"
#include "core/media/video_info.h"
#include "core/result.h"

namespace tidecast::core::media {

inline constexpr uint8_t kH264NalIdr = 5;
inline constexpr uint8_t kH264NalSps = 7;
inline constexpr uint8_t kH264NalPps = 8;

inline uint8_t h264NalType(uint8_t header) { return header & 0x1f; }

struct AvcConfig {
  uint8_t profile = 0;        // AVCProfileIndication (profile_idc)
  uint8_t compatibility = 0;  // profile_compatibility (the constraint_set flags byte)
  uint8_t level = 0;          // AVCLevelIndication
  uint8_t nalLengthSize = 4;  // 1, 2 or 4
  std::vector<Bytes> sps;     // whole NAL units, header byte included
  std::vector<Bytes> pps;
};

// At least one SPS is required; trailing fields (high-profile chroma extension) are
// accepted and not needed.
Result<AvcConfig> parseAvcConfig(ByteSpan record);

// A sequence parameter set NAL unit (header byte included, emulation prevention bytes as
// in the stream). Width/height apply frame cropping; fps comes from VUI timing, 0 if absent.
Result<VideoInfo> parseH264Sps(ByteSpan nal);

// Parses the first SPS of a configuration.
Result<VideoInfo> videoInfoOf(const AvcConfig& config);

// "avc1.PPCCLL": profile, constraint flags and level in lower-case hex.
std::string avcCodecString(uint8_t profile, uint8_t compatibility, uint8_t level);

// True when the length-prefixed access unit holds an IDR slice. False on broken framing.
bool h264IsKeyframe(ByteSpan accessUnit, unsigned nalLengthSize);

// An avcC (4-byte NAL lengths) from SPS/PPS NAL units (header byte included). The first SPS
// gives profile and level; high profiles get the chroma/bit depth extension.
Result<Bytes> buildAvcConfig(const std::vector<ByteSpan>& sps, const std::vector<ByteSpan>& pps);

}  // namespace tidecast::core::media
