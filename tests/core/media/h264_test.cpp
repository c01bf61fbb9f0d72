#include "core/media/h264.h"

#include <gtest/gtest.h>

#include "core/media/nal_units.h"
#include "tests/core/media/media_test_util.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::core::media {
namespace {

using testutil::errorCode;

namespace td = testdata;
using testutil::BitWriter;

VideoInfo infoOf(ByteSpan avcC) {
  Result<AvcConfig> config = parseAvcConfig(avcC);
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (!config.ok()) return {};
  Result<VideoInfo> info = videoInfoOf(*config);
  EXPECT_TRUE(info.ok()) << info.error().message;
  return info.ok() ? *info : VideoInfo{};
}

std::vector<ByteSpan> spans(const std::vector<Bytes>& units) {
  return {units.begin(), units.end()};
}

TEST(AvcConfig, ParsesAnFfmpegRecord) {
  Result<AvcConfig> config = parseAvcConfig(td::kAvcC1280x720High);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->profile, 100);
  EXPECT_EQ(config->compatibility, 0);
  EXPECT_EQ(config->level, 31);
  EXPECT_EQ(config->nalLengthSize, 4);
  ASSERT_EQ(config->sps.size(), 1u);
  ASSERT_EQ(config->pps.size(), 1u);
  EXPECT_EQ(config->sps[0].size(), 26u);
  EXPECT_EQ(h264NalType(config->sps[0][0]), kH264NalSps);
  EXPECT_EQ(h264NalType(config->pps[0][0]), kH264NalPps);
}

TEST(AvcConfig, RejectsEveryTruncation) {
  const ByteSpan record(td::kAvcC1280x720High);
  // The last 4 bytes are the optional high-profile extension.
  for (size_t length = 0; length < record.size() - 4; ++length) {
    Result<AvcConfig> config = parseAvcConfig(record.first(length));
    ASSERT_FALSE(config.ok()) << "length " << length;
    EXPECT_EQ(errorCode(config), "media.truncated") << "length " << length;
  }
}

TEST(AvcConfig, RejectsBadVersionLengthSizeAndMissingSps) {
  Bytes record(std::begin(td::kAvcC1280x720High), std::end(td::kAvcC1280x720High));
  record[0] = 0;
  EXPECT_EQ(errorCode(parseAvcConfig(record)), "media.invalid");
  record[0] = 1;
  record[4] = 0xfe;  // lengthSizeMinusOne = 2
  EXPECT_EQ(errorCode(parseAvcConfig(record)), "media.invalid");
  const uint8_t noSps[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe0, 0x00};
  EXPECT_EQ(errorCode(parseAvcConfig(noSps)), "media.invalid");
}

TEST(H264Sps, Parses1280x720High) {
  const VideoInfo info = infoOf(td::kAvcC1280x720High);
  EXPECT_EQ(info.width, 1280u);
  EXPECT_EQ(info.height, 720u);
  EXPECT_DOUBLE_EQ(info.fps, 30.0);
  EXPECT_EQ(info.codecString, "avc1.64001f");
  EXPECT_EQ(info.profile, 100);
  EXPECT_EQ(info.level, 31);
  EXPECT_EQ(info.bitDepth, 8);
  EXPECT_EQ(info.chromaFormat, 1);
}

TEST(H264Sps, ParsesCroppedResolution) {
  const VideoInfo info = infoOf(td::kAvcC1920x1080High);  // 1088 coded lines
  EXPECT_EQ(info.width, 1920u);
  EXPECT_EQ(info.height, 1080u);
  EXPECT_DOUBLE_EQ(info.fps, 25.0);
  EXPECT_EQ(info.codecString, "avc1.640028");
}

TEST(H264Sps, ParsesOddSizeBaselineAtNtscRate) {
  const VideoInfo info = infoOf(td::kAvcC854x480Baseline);  // 864 coded columns
  EXPECT_EQ(info.width, 854u);
  EXPECT_EQ(info.height, 480u);
  EXPECT_NEAR(info.fps, 30000.0 / 1001.0, 1e-9);
  EXPECT_EQ(info.codecString, "avc1.42c01f");
}

TEST(H264Sps, ParsesHigh422TenBit) {
  const VideoInfo info = infoOf(td::kAvcC640x360High422);  // crop unit 1 line in 4:2:2
  EXPECT_EQ(info.width, 640u);
  EXPECT_EQ(info.height, 360u);
  EXPECT_EQ(info.chromaFormat, 2);
  EXPECT_EQ(info.bitDepth, 10);
  EXPECT_EQ(info.bitDepthChroma, 10);
  EXPECT_EQ(info.codecString, "avc1.7a001e");
}

TEST(H264Sps, ParsesInterlacedFrameSize) {
  const VideoInfo info = infoOf(td::kAvcC1920x1080Interlaced);  // frame_mbs_only_flag = 0
  EXPECT_EQ(info.width, 1920u);
  EXPECT_EQ(info.height, 1080u);
  EXPECT_DOUBLE_EQ(info.fps, 25.0);
}

TEST(H264Sps, SkipsScalingMatricesToReachTheVui) {
  const VideoInfo info = infoOf(td::kAvcC1280x720ScalingMatrix);
  EXPECT_EQ(info.width, 1280u);
  EXPECT_EQ(info.height, 720u);
  EXPECT_DOUBLE_EQ(info.fps, 60.0);
  EXPECT_EQ(info.codecString, "avc1.640020");
}

TEST(H264Sps, RejectsEveryTruncationBeforeTheVui) {
  const Bytes sps = parseAvcConfig(td::kAvcC1920x1080High)->sps[0];
  // Cut anywhere: an error, or (once past the cropping fields) the same size without fps.
  for (size_t length = 0; length < sps.size(); ++length) {
    Result<VideoInfo> info = parseH264Sps(ByteSpan(sps).first(length));
    if (info.ok()) {
      EXPECT_EQ(info->width, 1920u);
      EXPECT_EQ(info->height, 1080u);
    } else {
      EXPECT_EQ(errorCode(info), "media.truncated") << "length " << length;
    }
  }
  EXPECT_FALSE(parseH264Sps(ByteSpan(sps).first(8)).ok());
}

TEST(H264Sps, RejectsOtherNalUnitsAndAbsurdSizes) {
  const Bytes pps = parseAvcConfig(td::kAvcC1280x720High)->pps[0];
  EXPECT_EQ(errorCode(parseH264Sps(pps)), "media.invalid");
  BitWriter writer;  // baseline SPS, 65536 macroblocks wide
  writer.bits(0x67, 8).bits(66, 8).bits(0, 8).bits(30, 8).ue(0).ue(0).ue(0).ue(1).ue(1).bit(false);
  writer.ue(65535).ue(10).bit(true).bit(true).bit(false).bit(false).bit(true);
  EXPECT_EQ(errorCode(parseH264Sps(writer.bytes())), "media.invalid");
  BitWriter cropped;  // crop more than the picture
  cropped.bits(0x67, 8).bits(66, 8).bits(0, 8).bits(30, 8).ue(0).ue(0).ue(0).ue(1).ue(1).bit(false);
  cropped.ue(0).ue(0).bit(true).bit(true).bit(true).ue(0).ue(8).ue(0).ue(0).bit(false);
  EXPECT_EQ(errorCode(parseH264Sps(cropped.bytes())), "media.invalid");
}

TEST(H264Sps, ParsesPicOrderCountTypeOne) {
  BitWriter writer;  // Main profile 176x144, POC type 1 with a 2-entry cycle, no VUI
  writer.bits(0x67, 8).bits(77, 8).bits(0, 8).bits(11, 8).ue(0).ue(0).ue(1);
  writer.bit(false).ue(3).ue(4).ue(2).ue(5).ue(6);  // always_zero, offsets, cycle of 2
  writer.ue(1).bit(false).ue(10).ue(8).bit(true).bit(true).bit(false).bit(false).bit(true);
  Result<VideoInfo> info = parseH264Sps(writer.bytes());
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->width, 176u);
  EXPECT_EQ(info->height, 144u);
  EXPECT_EQ(info->fps, 0.0);
}

TEST(H264, DetectsIdrKeyframes) {
  const ByteSpan key = ByteSpan(td::kFlvAvcKeyframe).subspan(5);
  const ByteSpan inter = ByteSpan(td::kFlvAvcInterFrame).subspan(5);
  EXPECT_TRUE(h264IsKeyframe(key, 4));
  EXPECT_FALSE(h264IsKeyframe(inter, 4));
  EXPECT_FALSE(h264IsKeyframe(key.first(3), 4));
}

TEST(BuildAvcConfig, ReproducesFfmpegRecords) {
  for (ByteSpan record : {ByteSpan(td::kAvcC1280x720High), ByteSpan(td::kAvcC1920x1080High),
                          ByteSpan(td::kAvcC854x480Baseline), ByteSpan(td::kAvcC640x360High422)}) {
    Result<AvcConfig> config = parseAvcConfig(record);
    ASSERT_TRUE(config.ok());
    Result<Bytes> built = buildAvcConfig(spans(config->sps), spans(config->pps));
    ASSERT_TRUE(built.ok()) << built.error().message;
    EXPECT_EQ(*built, Bytes(record.begin(), record.end()));
  }
}

TEST(BuildAvcConfig, BuildsFromAnAnnexBStream) {
  const AvcConfig source = *parseAvcConfig(td::kAvcC1280x720High);
  Bytes annexB;
  for (const Bytes& nal : {source.sps[0], source.pps[0]}) {
    annexB.insert(annexB.end(), {0, 0, 0, 1});
    annexB.insert(annexB.end(), nal.begin(), nal.end());
  }
  std::vector<ByteSpan> sps, pps;
  AnnexBNalReader reader(annexB);
  while (auto nal = reader.next()) {
    (h264NalType((*nal)[0]) == kH264NalSps ? sps : pps).push_back(*nal);
  }
  Result<Bytes> built = buildAvcConfig(sps, pps);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(*built, Bytes(std::begin(td::kAvcC1280x720High), std::end(td::kAvcC1280x720High)));
}

TEST(BuildAvcConfig, RejectsMissingOrBrokenSps) {
  EXPECT_FALSE(buildAvcConfig({}, {}).ok());
  const uint8_t notSps[] = {0x68, 0xeb, 0xe3, 0xcb};
  EXPECT_FALSE(buildAvcConfig({ByteSpan(notSps)}, {}).ok());
}

}  // namespace
}  // namespace tidecast::core::media
