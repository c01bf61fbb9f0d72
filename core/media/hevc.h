// HEVC/H.265 helpers: the HEVCDecoderConfigurationRecord (hvcC, ISO/IEC 14496-15 8.3.3), the
// sequence parameter set (ITU-T H.265 7.3.2.2) as far as size, chroma, bit depth and VUI
// frame rate, keyframe detection (IRAP pictures) and the codec string of ISO/IEC 14496-15
// Annex E. Parameter sets are copied out of the input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/media/bytes.h"
#include "core/media/video_info.h"
#include "core/result.h"

namespace tidecast::core::media {

inline constexpr uint8_t kHevcNalIrapFirst = 16;  // BLA_W_LP
inline constexpr uint8_t kHevcNalIrapLast = 23;   // RSV_IRAP_VCL23
inline constexpr uint8_t kHevcNalVps = 32;
inline constexpr uint8_t kHevcNalSps = 33;
inline constexpr uint8_t kHevcNalPps = 34;

inline uint8_t hevcNalType(uint8_t firstHeaderByte) { return (firstHeaderByte >> 1) & 0x3f; }

// general_profile_tier_level fields, as in both the SPS and the hvcC.
struct HevcProfileTierLevel {
  uint8_t profileSpace = 0;
  uint8_t tier = 0;
  uint8_t profileIdc = 0;
  uint32_t compatibilityFlags = 0;  // flag j at bit 31 - j, as on the wire
  uint64_t constraintFlags = 0;     // 48 bits, progressive_source_flag first (bit 47)
  uint8_t levelIdc = 0;
};

struct HevcConfig {
  HevcProfileTierLevel ptl;
  uint8_t chromaFormat = 1;
  uint8_t bitDepthLuma = 8;
  uint8_t bitDepthChroma = 8;
  uint8_t numTemporalLayers = 1;
  bool temporalIdNested = false;
  uint8_t nalLengthSize = 4;  // 1, 2 or 4
  std::vector<Bytes> vps;     // whole NAL units, 2-byte header included
  std::vector<Bytes> sps;
  std::vector<Bytes> pps;
};

struct HevcSps {
  HevcProfileTierLevel ptl;
  uint8_t maxSubLayers = 1;
  bool temporalIdNesting = false;
  VideoInfo info;  // conformance-window size, chroma, bit depth, VUI fps (0 if absent)
};

class BitReader;

// The 96 bits general_profile_space .. general_level_idc, laid out alike in the SPS
// profile_tier_level() and in the hvcC. Shared by both parsers; check reader.ok() after.
HevcProfileTierLevel readHevcProfileTierLevel(BitReader& reader);

// At least one SPS is required. NAL arrays of other types (SEI) are skipped.
Result<HevcConfig> parseHevcConfig(ByteSpan record);

// A sequence parameter set NAL unit (2-byte header included, as in the stream).
Result<HevcSps> parseHevcSps(ByteSpan nal);

// Parses the first SPS of a configuration.
Result<VideoInfo> videoInfoOf(const HevcConfig& config);

// "hvc1.1.6.L93.90": profile space+idc, reversed compatibility flags, tier+level, and the
// constraint bytes up to the last non-zero one, hex upper-case.
std::string hevcCodecString(const HevcProfileTierLevel& ptl);

// True when the length-prefixed access unit holds an IRAP picture (NAL types 16–23).
bool hevcIsKeyframe(ByteSpan accessUnit, unsigned nalLengthSize);

// An hvcC (4-byte NAL lengths, complete arrays VPS, SPS, PPS) from NAL units with their
// headers. Profile, level, chroma and bit depth come from the first SPS.
Result<Bytes> buildHevcConfig(const std::vector<ByteSpan>& vps, const std::vector<ByteSpan>& sps,
                              const std::vector<ByteSpan>& pps);

}  // namespace tidecast::core::media
