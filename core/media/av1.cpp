#include "core/media/av1.h"

#include <cstdio>

#include "core/media/bit_reader.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

Result<Av1Config> parseAv1Config(ByteSpan record) {
  BitReader reader(record);
  const uint8_t markerVersion = reader.readU8();
  Av1Config config;
  config.profile = static_cast<uint8_t>(reader.readBits(3));
  config.level = static_cast<uint8_t>(reader.readBits(5));
  config.tier = static_cast<uint8_t>(reader.readBits(1));
  const bool highBitdepth = reader.readFlag();
  const bool twelveBit = reader.readFlag();
  config.monochrome = reader.readFlag();
  config.chromaSubsamplingX = static_cast<uint8_t>(reader.readBits(1));
  config.chromaSubsamplingY = static_cast<uint8_t>(reader.readBits(1));
  config.chromaSamplePosition = static_cast<uint8_t>(reader.readBits(2));
  reader.skipBits(8);  // reserved, initial_presentation_delay
  if (!reader.ok()) return truncatedError("av1C is shorter than 4 bytes");
  if (markerVersion != 0x81) return invalidError("av1C marker/version is not 1/1");
  if (config.profile > 2) return invalidError("av1C seq_profile out of range");
  config.bitDepth = twelveBit ? 12 : highBitdepth ? 10 : 8;
  const ByteSpan obus = reader.rest();
  config.configObus.assign(obus.begin(), obus.end());
  return config;
}

std::string av1CodecString(uint8_t profile, uint8_t level, uint8_t tier, uint8_t bitDepth) {
  char text[32];
  std::snprintf(text, sizeof(text), "av01.%u.%02u%c.%02u", profile, level, tier ? 'H' : 'M',
                bitDepth);
  return text;
}

Result<VideoInfo> videoInfoOf(const Av1Config& config) {
  return parseAv1SequenceHeader(config.configObus);
}

}  // namespace tidecast::core::media
