#include "core/media/av1.h"

#include <gtest/gtest.h>

#include "tests/core/media/media_test_util.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::core::media {
namespace {

namespace td = testdata;
using testutil::BitWriter;
using testutil::errorCode;

// A 1920x1080 10-bit sequence header with timing info, a decoder model and two operating
// points, the first at level 9 (5.1) high tier.
Bytes sequenceHeaderWithTiming() {
  BitWriter w;
  w.bits(0, 3).bit(false).bit(false).bit(true);  // profile 0, not still, not reduced, timing
  w.bits(1001, 32).bits(60000, 32).bit(true).bit(true);      // equal interval, uvlc(0)
  w.bit(true).bits(9, 5).bits(1, 32).bits(0, 5).bits(0, 5);  // decoder model, 10-bit delays
  w.bit(true).bits(1, 5);  // initial_display_delay_present, two operating points
  w.bits(0, 12).bits(9, 5).bit(true).bit(true).bits(0, 21).bit(true).bits(3, 4);
  w.bits(0x101, 12).bits(4, 5).bit(false).bit(false);
  w.bits(10, 4).bits(10, 4).bits(1919, 11).bits(1079, 11);      // max frame size
  w.bit(false).bits(0b111, 3).bits(0, 4).bit(true).bits(0, 2);  // tools, order hint
  w.bit(true).bit(true).bits(6, 3).bits(0b011, 3);              // screen content, order hint bits
  w.bit(true).bit(false).bit(true).bits(9, 8).bits(16, 8).bits(9, 8).bit(true).bits(0, 2);
  Bytes obu = {0x0a, static_cast<uint8_t>(w.bytes().size())};
  obu.insert(obu.end(), w.bytes().begin(), w.bytes().end());
  return obu;
}

TEST(Av1Config, ParsesAnFfmpegRecord) {
  Result<Av1Config> config = parseAv1Config(td::kAv1C640x360);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->profile, 0);
  EXPECT_EQ(config->level, 1);
  EXPECT_EQ(config->tier, 0);
  EXPECT_EQ(config->bitDepth, 8);
  EXPECT_FALSE(config->monochrome);
  EXPECT_EQ(config->chromaSubsamplingX, 1);
  EXPECT_EQ(config->chromaSubsamplingY, 1);
  EXPECT_EQ(config->configObus.size(), 13u);
  EXPECT_EQ(av1CodecString(config->profile, config->level, config->tier, config->bitDepth),
            "av01.0.01M.08");
}

TEST(Av1Config, ParsesTenBit) {
  Result<Av1Config> config = parseAv1Config(td::kAv1C426x240Main10);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->bitDepth, 10);
  EXPECT_EQ(config->level, 0);
}

TEST(Av1Config, RejectsBadMarkerAndTruncation) {
  Bytes record(std::begin(td::kAv1C640x360), std::end(td::kAv1C640x360));
  for (size_t length = 0; length < 4; ++length) {
    EXPECT_EQ(errorCode(parseAv1Config(ByteSpan(record).first(length))), "media.truncated");
  }
  record[0] = 0x01;
  EXPECT_EQ(errorCode(parseAv1Config(record)), "media.invalid");
  record[0] = 0x81;
  record[1] = 0xe0;  // seq_profile 7
  EXPECT_EQ(errorCode(parseAv1Config(record)), "media.invalid");
}

TEST(Av1SequenceHeader, ReadsTheSizeFromConfigObus) {
  Result<Av1Config> config = parseAv1Config(td::kAv1C640x360);
  Result<VideoInfo> info = videoInfoOf(*config);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->width, 640u);
  EXPECT_EQ(info->height, 360u);
  EXPECT_EQ(info->codecString, "av01.0.01M.08");
  EXPECT_EQ(info->bitDepth, 8);
  EXPECT_EQ(info->chromaFormat, 1);
  EXPECT_EQ(info->fps, 0.0);
}

TEST(Av1SequenceHeader, ReadsTenBitOddSize) {
  Result<VideoInfo> info = videoInfoOf(*parseAv1Config(td::kAv1C426x240Main10));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 426u);
  EXPECT_EQ(info->height, 240u);
  EXPECT_EQ(info->bitDepth, 10);
  EXPECT_EQ(info->codecString, "av01.0.00M.10");
}

TEST(Av1SequenceHeader, FindsTheHeaderInATemporalUnit) {
  Result<VideoInfo> info = parseAv1SequenceHeader(td::kAv1TemporalUnits64x64);  // TD first
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->width, 64u);
  EXPECT_EQ(info->height, 64u);
}

TEST(Av1SequenceHeader, ReadsTimingOperatingPointsAndColour) {
  Result<VideoInfo> info = parseAv1SequenceHeader(sequenceHeaderWithTiming());
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->width, 1920u);
  EXPECT_EQ(info->height, 1080u);
  EXPECT_NEAR(info->fps, 60000.0 / 1001.0, 1e-9);
  EXPECT_EQ(info->level, 9);
  EXPECT_EQ(info->bitDepth, 10);
  EXPECT_EQ(info->codecString, "av01.0.09H.10");
}

TEST(Av1SequenceHeader, ReadsAReducedProfileTwoHeaderWithoutObuSize) {
  BitWriter w;  // profile 2, still picture, reduced header, level 5, 320x240, 12-bit 4:2:2
  w.bits(2, 3).bit(true).bit(true).bits(5, 5).bits(8, 4).bits(7, 4).bits(319, 9).bits(239, 8);
  w.bits(0, 3).bits(0, 3).bit(true).bit(true).bit(false).bit(false).bit(false).bit(true);
  w.bit(false).bits(0, 2);
  Bytes obu = {0x0c, 0x08};  // sequence header with an extension header, no obu_size
  obu.insert(obu.end(), w.bytes().begin(), w.bytes().end());
  Result<VideoInfo> info = parseAv1SequenceHeader(obu);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->width, 320u);
  EXPECT_EQ(info->height, 240u);
  EXPECT_EQ(info->bitDepth, 12);
  EXPECT_EQ(info->chromaFormat, 2);
  EXPECT_EQ(info->codecString, "av01.2.05M.12");
}

TEST(Av1SequenceHeader, FailsCleanlyOnTruncationAndMissingHeader) {
  const Bytes obu = sequenceHeaderWithTiming();
  for (size_t length = 0; length < obu.size(); ++length) {
    const std::string code = errorCode(parseAv1SequenceHeader(ByteSpan(obu).first(length)));
    EXPECT_TRUE(code == "media.truncated" || code == "media.invalid") << length << " " << code;
  }
  const uint8_t temporalDelimiter[] = {0x12, 0x00};
  EXPECT_EQ(errorCode(parseAv1SequenceHeader(temporalDelimiter)), "media.invalid");
  const uint8_t forbidden[] = {0x8a, 0x00};
  EXPECT_EQ(errorCode(parseAv1SequenceHeader(forbidden)), "media.invalid");
  Av1Config empty;
  EXPECT_EQ(errorCode(videoInfoOf(empty)), "media.invalid");
}

}  // namespace
}  // namespace tidecast::core::media
