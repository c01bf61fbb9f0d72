// MPEG-1/2/2.5 audio frame headers (ISO/IEC 11172-3 2.4.1.3, 13818-3): MP2 (Layer II, what
// broadcast encoders put in MPEG-TS) and MP3 (Layer III). Every frame is self-contained: no
// configuration record; the 4-byte header gives the sample rate, channels, samples and size.
#pragma once

#include <cstdint>

#include "core/media/bytes.h"
#include "core/result.h"

namespace tidecast::core::media {

struct MpegAudioHeader {
  uint8_t layer = 0;             // 1, 2 or 3
  uint32_t sampleRate = 0;       // Hz
  uint8_t channels = 0;          // 1 (mono) or 2
  uint32_t bitrate = 0;          // bits per second, 0 for free format
  uint32_t samplesPerFrame = 0;  // 384 (I), 1152 (II; III MPEG-1), 576 (III MPEG-2/2.5)
  uint32_t frameBytes = 0;       // header included; 0 for free format (unknown)
};

// The header at the start of `data`. media.truncated under 4 bytes; media.invalid on a bad
// sync word or a reserved version, layer, bitrate or sample rate.
Result<MpegAudioHeader> parseMpegAudioHeader(ByteSpan data);

}  // namespace tidecast::core::media
