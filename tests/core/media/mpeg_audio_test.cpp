#include "core/media/mpeg_audio.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace tidecast::core::media {
namespace {

Result<MpegAudioHeader> parse(std::vector<uint8_t> bytes) {
  return parseMpegAudioHeader(ByteSpan(bytes.data(), bytes.size()));
}

TEST(MpegAudioHeader, Mp2At48kHzIs1152SamplesAndItsFrameSize) {
  auto header = parse({0xff, 0xfc, 0xa4, 0x00});  // MPEG-1 Layer II, 192 kb/s, 48 kHz, stereo
  ASSERT_TRUE(header);
  EXPECT_EQ(header->layer, 2);
  EXPECT_EQ(header->sampleRate, 48000u);
  EXPECT_EQ(header->channels, 2);
  EXPECT_EQ(header->bitrate, 192000u);
  EXPECT_EQ(header->samplesPerFrame, 1152u);
  EXPECT_EQ(header->frameBytes, 576u);
}

TEST(MpegAudioHeader, Mp3PaddingAndMpeg2HalfFrames) {
  auto mp3 = parse({0xff, 0xfb, 0x92, 0x64});  // MPEG-1 Layer III, 128 kb/s, 44.1 kHz, padded
  ASSERT_TRUE(mp3);
  EXPECT_EQ(mp3->layer, 3);
  EXPECT_EQ(mp3->sampleRate, 44100u);
  EXPECT_EQ(mp3->samplesPerFrame, 1152u);
  EXPECT_EQ(mp3->frameBytes, 418u);            // 144 * 128000 / 44100 + 1
  auto lsf = parse({0xff, 0xf3, 0x84, 0xc0});  // MPEG-2 Layer III, 64 kb/s, 24 kHz, mono
  ASSERT_TRUE(lsf);
  EXPECT_EQ(lsf->sampleRate, 24000u);
  EXPECT_EQ(lsf->channels, 1);
  EXPECT_EQ(lsf->samplesPerFrame, 576u);
  EXPECT_EQ(lsf->frameBytes, 192u);
  auto lsfMp2 = parse({0xff, 0xf5, 0x84, 0xc0});  // MPEG-2 Layer II keeps 1152 samples
  ASSERT_TRUE(lsfMp2);
  EXPECT_EQ(lsfMp2->samplesPerFrame, 1152u);
}

TEST(MpegAudioHeader, FreeFormatHasNoFrameSize) {
  auto header = parse({0xff, 0xfd, 0x04, 0x00});
  ASSERT_TRUE(header);
  EXPECT_EQ(header->bitrate, 0u);
  EXPECT_EQ(header->frameBytes, 0u);
}

TEST(MpegAudioHeader, RejectsReservedFieldsBadSyncAndShortInput) {
  EXPECT_EQ(parse({0xff, 0xfc, 0xa4}).error().code, "media.truncated");
  EXPECT_EQ(parse({0xff, 0x00, 0xa4, 0x00}).error().code, "media.invalid");  // sync
  EXPECT_EQ(parse({0xff, 0xec, 0xa4, 0x00}).error().code, "media.invalid");  // version 01
  EXPECT_EQ(parse({0xff, 0xf9, 0xa4, 0x00}).error().code, "media.invalid");  // layer 00
  EXPECT_EQ(parse({0xff, 0xfc, 0xf4, 0x00}).error().code, "media.invalid");  // bitrate 15
  EXPECT_EQ(parse({0xff, 0xfc, 0xac, 0x00}).error().code, "media.invalid");  // rate 11
}

}  // namespace
}  // namespace tidecast::core::media
