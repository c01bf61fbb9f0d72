#include "core/media/hevc.h"

#include <cstdio>
#include <utility>

#include "core/media/bit_reader.h"
#include "core/media/media_error.h"
#include "core/media/nal_units.h"

namespace tidecast::core::media {

HevcProfileTierLevel readHevcProfileTierLevel(BitReader& reader) {
  HevcProfileTierLevel ptl;
  ptl.profileSpace = static_cast<uint8_t>(reader.readBits(2));
  ptl.tier = static_cast<uint8_t>(reader.readBits(1));
  ptl.profileIdc = static_cast<uint8_t>(reader.readBits(5));
  ptl.compatibilityFlags = reader.readU32();
  ptl.constraintFlags = reader.readU64Bits(48);
  ptl.levelIdc = reader.readU8();
  return ptl;
}

namespace {

// The hvcC fields between general_level_idc and numOfArrays.
void readConfigFields(BitReader& reader, HevcConfig& config) {
  reader.skipBits(16);  // reserved + min_spatial_segmentation_idc
  reader.skipBits(8);   // reserved + parallelismType
  config.chromaFormat = reader.readU8() & 0x03;
  config.bitDepthLuma = static_cast<uint8_t>((reader.readU8() & 0x07) + 8);
  config.bitDepthChroma = static_cast<uint8_t>((reader.readU8() & 0x07) + 8);
  reader.skipBits(16);  // avgFrameRate
  reader.skipBits(2);   // constantFrameRate
  config.numTemporalLayers = static_cast<uint8_t>(reader.readBits(3));
  config.temporalIdNested = reader.readFlag();
  config.nalLengthSize = static_cast<uint8_t>(reader.readBits(2) + 1);
}

std::vector<Bytes>* arrayFor(HevcConfig& config, uint8_t nalType) {
  switch (nalType) {
    case kHevcNalVps:
      return &config.vps;
    case kHevcNalSps:
      return &config.sps;
    case kHevcNalPps:
      return &config.pps;
    default:
      return nullptr;
  }
}

}  // namespace

Result<HevcConfig> parseHevcConfig(ByteSpan record) {
  BitReader reader(record);
  if (reader.readU8() != 1) {
    return reader.ok() ? invalidError("hvcC configurationVersion is not 1")
                       : truncatedError("hvcC is empty");
  }
  HevcConfig config;
  config.ptl = readHevcProfileTierLevel(reader);
  readConfigFields(reader, config);
  const unsigned arrays = reader.readU8();
  if (!reader.ok()) return truncatedError("hvcC header is truncated");
  if (config.nalLengthSize == 3) return invalidError("hvcC lengthSizeMinusOne is 2");
  for (unsigned i = 0; i < arrays; ++i) {
    const uint8_t nalType = reader.readU8() & 0x3f;
    const unsigned count = reader.readU16();
    std::vector<Bytes> skipped;
    std::vector<Bytes>* out = arrayFor(config, nalType);
    if (!readParameterSetArray(reader, count, out ? *out : skipped)) {
      return truncatedError("hvcC NAL unit array is truncated");
    }
  }
  if (config.sps.empty()) return invalidError("hvcC holds no SPS");
  return config;
}

Result<VideoInfo> videoInfoOf(const HevcConfig& config) {
  if (config.sps.empty()) return invalidError("hvcC holds no SPS");
  Result<HevcSps> sps = parseHevcSps(config.sps.front());
  if (!sps.ok()) return sps.error();
  return sps->info;
}

namespace {

uint32_t reverseBits(uint32_t value) {
  uint32_t out = 0;
  for (int i = 0; i < 32; ++i, value >>= 1) out = (out << 1) | (value & 1);
  return out;
}

}  // namespace

std::string hevcCodecString(const HevcProfileTierLevel& ptl) {
  std::string text = "hvc1.";
  if (ptl.profileSpace > 0) text += static_cast<char>('A' + ptl.profileSpace - 1);
  char part[32];
  std::snprintf(part, sizeof(part), "%u.%X.%c%u", ptl.profileIdc,
                reverseBits(ptl.compatibilityFlags), ptl.tier ? 'H' : 'L', ptl.levelIdc);
  text += part;
  int lastByte = 0;  // keep at least one constraint byte, as common packagers do
  for (int i = 0; i < 6; ++i) {
    if ((ptl.constraintFlags >> (40 - 8 * i)) & 0xff) lastByte = i;
  }
  for (int i = 0; i <= lastByte; ++i) {
    std::snprintf(part, sizeof(part), ".%X",
                  static_cast<unsigned>((ptl.constraintFlags >> (40 - 8 * i)) & 0xff));
    text += part;
  }
  return text;
}

bool hevcIsKeyframe(ByteSpan accessUnit, unsigned nalLengthSize) {
  LengthPrefixedNalReader reader(accessUnit, nalLengthSize);
  while (auto nal = reader.next()) {
    if (nal->empty()) continue;
    const uint8_t type = hevcNalType((*nal)[0]);
    if (type >= kHevcNalIrapFirst && type <= kHevcNalIrapLast) return true;
  }
  return false;
}

namespace {

void appendConfigHeader(Bytes& out, const HevcSps& sps) {
  const HevcProfileTierLevel& ptl = sps.ptl;
  appendU8(out, 1);
  appendU8(out, (ptl.profileSpace << 6) | (ptl.tier << 5) | ptl.profileIdc);
  appendU32(out, ptl.compatibilityFlags);
  appendU16(out, static_cast<uint32_t>(ptl.constraintFlags >> 32));
  appendU32(out, static_cast<uint32_t>(ptl.constraintFlags));
  appendU8(out, ptl.levelIdc);
  appendU16(out, 0xf000);  // min_spatial_segmentation_idc = 0
  appendU8(out, 0xfc);     // parallelismType = 0 (unknown)
  appendU8(out, 0xfc | sps.info.chromaFormat);
  appendU8(out, 0xf8 | (sps.info.bitDepth - 8));
  appendU8(out, 0xf8 | (sps.info.bitDepthChroma - 8));
  appendU16(out, 0);  // avgFrameRate unspecified
  appendU8(out, (sps.maxSubLayers << 3) | (sps.temporalIdNesting ? 0x04 : 0) | 0x03);
}

}  // namespace

Result<Bytes> buildHevcConfig(const std::vector<ByteSpan>& vps, const std::vector<ByteSpan>& sps,
                              const std::vector<ByteSpan>& pps) {
  if (sps.empty()) return invalidError("hvcC needs an SPS");
  Result<HevcSps> parsed = parseHevcSps(sps.front());
  if (!parsed.ok()) return parsed.error();
  Bytes out;
  appendConfigHeader(out, *parsed);
  const std::pair<uint8_t, const std::vector<ByteSpan>*> arrays[] = {
      {kHevcNalVps, &vps}, {kHevcNalSps, &sps}, {kHevcNalPps, &pps}};
  unsigned count = 0;
  for (const auto& array : arrays) count += array.second->empty() ? 0 : 1;
  appendU8(out, count);
  for (const auto& [type, units] : arrays) {
    if (units->empty()) continue;
    if (units->size() > UINT16_MAX) return invalidError("too many NAL units for hvcC");
    appendU8(out, 0x80 | type);  // array_completeness = 1
    appendU16(out, static_cast<uint32_t>(units->size()));
    if (!appendParameterSetArray(out, *units)) return invalidError("NAL unit size out of range");
  }
  return out;
}

}  // namespace tidecast::core::media
