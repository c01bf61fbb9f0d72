#include "core/media/aac.h"

#include <gtest/gtest.h>

#include "tests/core/media/media_test_util.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::core::media {
namespace {

namespace td = testdata;
using testutil::BitWriter;
using testutil::errorCode;

TEST(AudioSpecificConfig, ParsesFfmpegConfigs) {
  struct Case {
    ByteSpan config;
    uint32_t sampleRate;
    uint8_t channels;
  };
  const Case cases[] = {{td::kAscLc44100Stereo, 44100, 2},
                        {td::kAscLc48000Mono, 48000, 1},
                        {td::kAscLc22050FivePointOne, 22050, 6}};
  for (const Case& c : cases) {
    Result<AudioInfo> info = parseAudioSpecificConfig(c.config);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->objectType, 2);
    EXPECT_EQ(info->sampleRate, c.sampleRate);
    EXPECT_EQ(info->channels, c.channels);
    EXPECT_EQ(info->codecString, "mp4a.40.2");
  }
}

TEST(AudioSpecificConfig, ReadsEscapedObjectTypes) {
  BitWriter w;
  w.bits(31, 5).bits(42 - 32, 6).bits(3, 4).bits(2, 4).bits(0, 3);  // USAC at 48 kHz
  Result<AudioInfo> info = parseAudioSpecificConfig(w.bytes());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objectType, 42);
  EXPECT_EQ(info->sampleRate, 48000u);
  EXPECT_EQ(info->codecString, "mp4a.40.42");
}

TEST(AudioSpecificConfig, ReadsAnExplicitSampleRate) {
  BitWriter w;
  w.bits(2, 5).bits(0xf, 4).bits(50000, 24).bits(1, 4).bits(0, 3);
  Result<AudioInfo> info = parseAudioSpecificConfig(w.bytes());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->sampleRate, 50000u);
  EXPECT_EQ(info->channels, 1);
}

TEST(AudioSpecificConfig, ReportsTheOutputRateOfExplicitSbr) {
  BitWriter w;  // HE-AAC: SBR, 24 kHz core, 48 kHz output, stereo, AAC LC core
  w.bits(5, 5).bits(6, 4).bits(2, 4).bits(3, 4).bits(2, 5).bits(0, 3);
  Result<AudioInfo> info = parseAudioSpecificConfig(w.bytes());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objectType, 5);
  EXPECT_EQ(info->sampleRate, 48000u);
  EXPECT_EQ(info->codecString, "mp4a.40.5");
}

TEST(AudioSpecificConfig, RejectsReservedValuesAndTruncation) {
  const uint8_t reservedChannels[] = {0x12, 0x40};  // channelConfiguration 8
  const uint8_t reservedRate[] = {0x16, 0x90};      // samplingFrequencyIndex 13
  const uint8_t objectTypeZero[] = {0x02, 0x10};
  EXPECT_EQ(errorCode(parseAudioSpecificConfig(reservedChannels)), "media.invalid");
  EXPECT_EQ(errorCode(parseAudioSpecificConfig(reservedRate)), "media.invalid");
  EXPECT_EQ(errorCode(parseAudioSpecificConfig(objectTypeZero)), "media.invalid");
  EXPECT_EQ(errorCode(parseAudioSpecificConfig(ByteSpan(td::kAscLc48000Mono).first(1))),
            "media.truncated");
  EXPECT_EQ(errorCode(parseAudioSpecificConfig({})), "media.truncated");
}

TEST(BuildAudioSpecificConfig, MatchesFfmpegConfigs) {
  EXPECT_EQ(*buildAudioSpecificConfig(2, 4, 2), (Bytes{0x12, 0x10}));
  EXPECT_EQ(*buildAudioSpecificConfig(2, 3, 1), (Bytes{0x11, 0x88}));
  EXPECT_EQ(*buildAudioSpecificConfig(2, 7, 6), (Bytes{0x13, 0xb0}));
}

TEST(BuildAudioSpecificConfig, RoundTripsEscapedObjectTypes) {
  Result<Bytes> config = buildAudioSpecificConfig(42, 4, 2);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->size(), 3u);
  Result<AudioInfo> info = parseAudioSpecificConfig(*config);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objectType, 42);
  EXPECT_EQ(info->sampleRate, 44100u);
  EXPECT_EQ(info->channels, 2);
  EXPECT_FALSE(buildAudioSpecificConfig(0, 4, 2).ok());
  EXPECT_FALSE(buildAudioSpecificConfig(2, 13, 2).ok());
  EXPECT_FALSE(buildAudioSpecificConfig(2, 4, 16).ok());
}

TEST(AdtsHeader, ParsesAnFfmpegFrame) {
  Result<AdtsHeader> header = parseAdtsHeader(td::kAdtsFrame48000Stereo);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->frameLength, 295);  // the next syncword of the file is at offset 295
  EXPECT_EQ(header->headerLength, 7);
  EXPECT_EQ(header->sampleRateIndex, 3);
  EXPECT_EQ(header->channelConfig, 2);
  EXPECT_EQ(header->rawDataBlocks, 1);
  EXPECT_EQ(header->info.sampleRate, 48000u);
  EXPECT_EQ(header->info.channels, 2);
  EXPECT_EQ(header->info.objectType, 2);
  EXPECT_EQ(header->info.codecString, "mp4a.40.2");
  // The ADTS fields make the same AudioSpecificConfig ffmpeg writes into MP4/FLV.
  EXPECT_EQ(*buildAudioSpecificConfig(header->info.objectType, header->sampleRateIndex,
                                      header->channelConfig),
            (Bytes{0x11, 0x90}));
}

TEST(AdtsHeader, ReadsTheCrcVariant) {
  Bytes frame(std::begin(td::kAdtsFrame48000Stereo), std::end(td::kAdtsFrame48000Stereo));
  frame[1] &= 0xfe;  // protection_absent = 0: a 16-bit CRC follows the header
  Result<AdtsHeader> header = parseAdtsHeader(frame);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->headerLength, 9);
}

TEST(AdtsHeader, RejectsBadSyncLayerLengthAndTruncation) {
  Bytes frame(std::begin(td::kAdtsFrame48000Stereo), std::end(td::kAdtsFrame48000Stereo));
  for (size_t length = 0; length < frame.size(); ++length) {
    EXPECT_EQ(errorCode(parseAdtsHeader(ByteSpan(frame).first(length))), "media.truncated");
  }
  Bytes badSync = frame;
  badSync[0] = 0xfe;
  EXPECT_EQ(errorCode(parseAdtsHeader(badSync)), "media.invalid");
  Bytes badLayer = frame;
  badLayer[1] |= 0x02;
  EXPECT_EQ(errorCode(parseAdtsHeader(badLayer)), "media.invalid");
  Bytes shortFrame = frame;
  shortFrame[3] &= 0xfc;
  shortFrame[4] = 0;
  shortFrame[5] &= 0x1f;  // aac_frame_length 0
  EXPECT_EQ(errorCode(parseAdtsHeader(shortFrame)), "media.invalid");
  Bytes badRate = frame;
  badRate[2] = (badRate[2] & 0xc3) | (13 << 2);
  EXPECT_EQ(errorCode(parseAdtsHeader(badRate)), "media.invalid");
}

}  // namespace
}  // namespace tidecast::core::media
