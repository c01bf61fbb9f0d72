#include "core/media/h264.h"

#include <cstdio>

#include "core/media/bit_reader.h"
#include "core/media/media_error.h"
#include "core/media/nal_units.h"

namespace tidecast::core::media {

namespace {

bool isHighProfile(uint8_t profile) {
  return profile == 100 || profile == 110 || profile == 122 || profile == 144;
}

}  // namespace

Result<AvcConfig> parseAvcConfig(ByteSpan record) {
  BitReader reader(record);
  if (reader.readU8() != 1) {
    return reader.ok() ? invalidError("avcC configurationVersion is not 1")
                       : truncatedError("avcC is empty");
  }
  AvcConfig config;
  config.profile = reader.readU8();
  config.compatibility = reader.readU8();
  config.level = reader.readU8();
  config.nalLengthSize = static_cast<uint8_t>((reader.readU8() & 0x03) + 1);
  const unsigned spsCount = reader.readU8() & 0x1f;
  if (!reader.ok()) return truncatedError("avcC header is truncated");
  if (config.nalLengthSize == 3) return invalidError("avcC lengthSizeMinusOne is 2");
  if (!readParameterSetArray(reader, spsCount, config.sps)) return truncatedError("avcC SPS list");
  const unsigned ppsCount = reader.readU8();
  if (!reader.ok() || !readParameterSetArray(reader, ppsCount, config.pps)) {
    return truncatedError("avcC PPS list is truncated");
  }
  if (config.sps.empty()) return invalidError("avcC holds no SPS");
  return config;
}

Result<VideoInfo> videoInfoOf(const AvcConfig& config) {
  if (config.sps.empty()) return invalidError("avcC holds no SPS");
  return parseH264Sps(config.sps.front());
}

std::string avcCodecString(uint8_t profile, uint8_t compatibility, uint8_t level) {
  char text[16];
  std::snprintf(text, sizeof(text), "avc1.%02x%02x%02x", profile, compatibility, level);
  return text;
}

bool h264IsKeyframe(ByteSpan accessUnit, unsigned nalLengthSize) {
  LengthPrefixedNalReader reader(accessUnit, nalLengthSize);
  while (auto nal = reader.next()) {
    if (!nal->empty() && h264NalType((*nal)[0]) == kH264NalIdr) return true;
  }
  return false;
}

Result<Bytes> buildAvcConfig(const std::vector<ByteSpan>& sps, const std::vector<ByteSpan>& pps) {
  if (sps.empty() || sps.size() > 31 || pps.size() > 255) {
    return invalidError("avcC needs 1-31 SPS and at most 255 PPS");
  }
  Result<VideoInfo> info = parseH264Sps(sps.front());
  if (!info.ok()) return info.error();
  Bytes out;
  out.reserve(64);  // also keeps GCC 12's -Warray-bounds from a false positive below
  appendU8(out, 1);
  appendBytes(out, sps.front().subspan(1, 3));  // profile, constraint flags, level
  appendU8(out, 0xff);                          // reserved + lengthSizeMinusOne = 3
  appendU8(out, 0xe0 | sps.size());
  if (!appendParameterSetArray(out, sps)) return invalidError("SPS size out of range");
  appendU8(out, pps.size());
  if (!appendParameterSetArray(out, pps)) return invalidError("PPS size out of range");
  if (isHighProfile(info->profile)) {
    appendU8(out, 0xfc | info->chromaFormat);
    appendU8(out, 0xf8 | (info->bitDepth - 8));
    appendU8(out, 0xf8 | (info->bitDepthChroma - 8));
    appendU8(out, 0);  // numOfSequenceParameterSetExt
  }
  return out;
}

}  // namespace tidecast::core::media
