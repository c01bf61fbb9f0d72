// AAC helpers: the MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) carried by FLV,
// RTMP and fMP4, and the ADTS frame header (14496-3 1.A.2) carried by MPEG-TS (SRT ingest).
#pragma once

#include <cstdint>
#include <string>

#include "core/media/audio_info.h"
#include "core/media/bytes.h"
#include "core/result.h"

namespace tidecast::core::media {

inline constexpr uint8_t kAacSampleRateIndexExplicit = 0x0f;

// Sampling frequency of an index 0–12, 0 for the rest.
uint32_t aacSampleRateFromIndex(uint8_t index);
// "mp4a.40.<objectType>".
std::string aacCodecString(uint8_t objectType);

// audioObjectType (escape 31 included), sampling frequency (index or explicit 24-bit
// value), channel configuration. Explicit SBR/PS signalling (object type 5 or 29) reports
// the extension (output) sample rate and keeps 5/29 as the object type. Trailing fields
// (GASpecificConfig, sync extensions) are not needed and not checked.
Result<AudioInfo> parseAudioSpecificConfig(ByteSpan config);

struct AdtsHeader {
  uint16_t frameLength = 0;  // header + payload, bytes
  uint8_t headerLength = 7;  // 7, or 9 with a CRC
  uint8_t sampleRateIndex = 0;
  uint8_t channelConfig = 0;
  uint8_t rawDataBlocks = 1;
  AudioInfo info;
};

// The fixed and variable ADTS header at the start of `data` (at least 7 bytes; the frame
// itself need not be complete). media.invalid on a bad syncword, layer or frame length.
Result<AdtsHeader> parseAdtsHeader(ByteSpan data);

// A 2-byte (or 3-byte, for object types >= 31) AudioSpecificConfig with GASpecificConfig
// flags zero. sampleRateIndex must be 0–12, channelConfig 0–15.
Result<Bytes> buildAudioSpecificConfig(uint8_t objectType, uint8_t sampleRateIndex,
                                       uint8_t channelConfig);

}  // namespace tidecast::core::media
