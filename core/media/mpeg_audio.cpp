#include "core/media/mpeg_audio.h"

#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

constexpr size_t kHeaderBytes = 4;
constexpr uint8_t kVersion25 = 0;
constexpr uint8_t kVersion1 = 3;
constexpr uint8_t kBadBitrateIndex = 15;
constexpr uint8_t kMonoMode = 3;

// kbit/s by [table][index 1-14]: MPEG-1 Layer I, II, III; MPEG-2/2.5 Layer I, II and III.
constexpr uint16_t kBitrates[5][15] = {
    {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
    {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
    {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},
    {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
    {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
};
constexpr uint32_t kMpeg1Rates[3] = {44100, 48000, 32000};

}  // namespace

Result<MpegAudioHeader> parseMpegAudioHeader(ByteSpan data) {
  if (data.size() < kHeaderBytes) return truncatedError("MPEG audio header under 4 bytes");
  if (data[0] != 0xff || (data[1] & 0xe0) != 0xe0) {
    return invalidError("MPEG audio frame without a sync word");
  }
  const uint8_t version = (data[1] >> 3) & 3;
  const uint8_t layerBits = (data[1] >> 1) & 3;
  const uint8_t bitrateIndex = data[2] >> 4;
  const uint8_t rateIndex = (data[2] >> 2) & 3;
  if (version == 1 || layerBits == 0 || bitrateIndex == kBadBitrateIndex || rateIndex == 3) {
    return invalidError("MPEG audio header with a reserved field");
  }
  MpegAudioHeader header;
  header.layer = static_cast<uint8_t>(4 - layerBits);
  const bool mpeg1 = version == kVersion1;
  header.sampleRate = kMpeg1Rates[rateIndex] >> (mpeg1 ? 0 : version == kVersion25 ? 2 : 1);
  header.channels = (data[3] >> 6) == kMonoMode ? 1 : 2;
  const int table = mpeg1 ? header.layer - 1 : header.layer == 1 ? 3 : 4;
  header.bitrate = uint32_t{kBitrates[table][bitrateIndex]} * 1000;
  header.samplesPerFrame = header.layer == 1 ? 384 : (header.layer == 3 && !mpeg1) ? 576 : 1152;
  const uint32_t padding = (data[2] >> 1) & 1;
  if (header.bitrate > 0) {
    header.frameBytes =
        header.layer == 1
            ? (12 * header.bitrate / header.sampleRate + padding) * 4
            : header.samplesPerFrame / 8 * header.bitrate / header.sampleRate + padding;
  }
  return header;
}

}  // namespace tidecast::core::media
