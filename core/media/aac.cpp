#include "core/media/aac.h"

#include "core/media/bit_reader.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

constexpr uint32_t kSampleRates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};
// channelConfiguration -> channel count (14496-3 Table 1.19, with the later 7.1/22.2 ones).
constexpr uint8_t kChannels[16] = {0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0};
constexpr uint8_t kObjectTypeSbr = 5;
constexpr uint8_t kObjectTypePs = 29;

uint8_t readObjectType(BitReader& reader) {
  const uint8_t type = static_cast<uint8_t>(reader.readBits(5));
  return type == 31 ? static_cast<uint8_t>(32 + reader.readBits(6)) : type;
}

// samplingFrequencyIndex and, for index 15, the explicit 24-bit frequency. 0 if invalid.
uint32_t readSampleRate(BitReader& reader) {
  const uint8_t index = static_cast<uint8_t>(reader.readBits(4));
  if (index == kAacSampleRateIndexExplicit) return reader.readU24();
  return aacSampleRateFromIndex(index);
}

}  // namespace

uint32_t aacSampleRateFromIndex(uint8_t index) { return index < 13 ? kSampleRates[index] : 0; }

std::string aacCodecString(uint8_t objectType) { return "mp4a.40." + std::to_string(objectType); }

Result<AudioInfo> parseAudioSpecificConfig(ByteSpan config) {
  BitReader reader(config);
  AudioInfo info;
  info.objectType = readObjectType(reader);
  info.sampleRate = readSampleRate(reader);
  const uint8_t channelConfig = static_cast<uint8_t>(reader.readBits(4));
  if (info.objectType == kObjectTypeSbr || info.objectType == kObjectTypePs) {
    info.sampleRate = readSampleRate(reader);  // extensionSamplingFrequency
    readObjectType(reader);                    // the core object type
  }
  if (!reader.ok()) return truncatedError("AudioSpecificConfig is truncated");
  if (info.objectType == 0) return invalidError("AudioSpecificConfig object type 0");
  if (info.sampleRate == 0) return invalidError("AudioSpecificConfig sample rate index");
  if (channelConfig != 0 && kChannels[channelConfig] == 0) {
    return invalidError("AudioSpecificConfig channel configuration is reserved");
  }
  info.channels = kChannels[channelConfig];
  info.codecString = aacCodecString(info.objectType);
  return info;
}

Result<AdtsHeader> parseAdtsHeader(ByteSpan data) {
  BitReader reader(data);
  const uint32_t syncword = reader.readBits(12);
  reader.skipBits(1);  // ID (MPEG-2 / MPEG-4)
  const uint32_t layer = reader.readBits(2);
  const bool protectionAbsent = reader.readFlag();
  AdtsHeader header;
  const uint8_t profile = static_cast<uint8_t>(reader.readBits(2));
  header.sampleRateIndex = static_cast<uint8_t>(reader.readBits(4));
  reader.skipBits(1);  // private_bit
  header.channelConfig = static_cast<uint8_t>(reader.readBits(3));
  reader.skipBits(4);  // original_copy, home, copyright id bit and start
  header.frameLength = static_cast<uint16_t>(reader.readBits(13));
  reader.skipBits(11);  // adts_buffer_fullness
  header.rawDataBlocks = static_cast<uint8_t>(reader.readBits(2) + 1);
  if (!reader.ok()) return truncatedError("ADTS header is shorter than 7 bytes");
  if (syncword != 0xfff || layer != 0) return invalidError("ADTS syncword or layer is wrong");
  header.headerLength = protectionAbsent ? 7 : 9;
  if (header.frameLength < header.headerLength) return invalidError("ADTS frame length");
  header.info.sampleRate = aacSampleRateFromIndex(header.sampleRateIndex);
  if (header.info.sampleRate == 0) return invalidError("ADTS sampling frequency index");
  header.info.objectType = static_cast<uint8_t>(profile + 1);
  header.info.channels = kChannels[header.channelConfig];
  header.info.codecString = aacCodecString(header.info.objectType);
  return header;
}

Result<Bytes> buildAudioSpecificConfig(uint8_t objectType, uint8_t sampleRateIndex,
                                       uint8_t channelConfig) {
  if (objectType == 0 || objectType > 95 || aacSampleRateFromIndex(sampleRateIndex) == 0 ||
      channelConfig > 15) {
    return invalidError("AudioSpecificConfig fields out of range");
  }
  // Bits, most significant first: object type (5, or 5 + 6 escaped), index (4), channels
  // (4), GASpecificConfig frameLengthFlag/dependsOnCoreCoder/extensionFlag (3).
  uint32_t bits = 0;
  unsigned count = 0;
  auto put = [&](uint32_t value, unsigned width) {
    bits = (bits << width) | value;
    count += width;
  };
  if (objectType >= 31) {
    put(31, 5);
    put(objectType - 32u, 6);
  } else {
    put(objectType, 5);
  }
  put(sampleRateIndex, 4);
  put(channelConfig, 4);
  put(0, 3);
  const unsigned bytes = (count + 7) / 8;
  bits <<= bytes * 8 - count;
  Bytes out;
  for (unsigned i = bytes; i > 0; --i) appendU8(out, bits >> ((i - 1) * 8));
  return out;
}

}  // namespace tidecast::core::media
