#include "core/media/hevc.h"

#include <gtest/gtest.h>

#include "core/media/nal_units.h"
#include "tests/core/media/media_test_util.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::core::media {
namespace {

namespace td = testdata;
using testutil::errorCode;

VideoInfo infoOf(ByteSpan hvcC) {
  Result<HevcConfig> config = parseHevcConfig(hvcC);
  EXPECT_TRUE(config.ok()) << config.error().message;
  if (!config.ok()) return {};
  Result<VideoInfo> info = videoInfoOf(*config);
  EXPECT_TRUE(info.ok()) << info.error().message;
  return info.ok() ? *info : VideoInfo{};
}

std::vector<ByteSpan> spans(const std::vector<Bytes>& units) {
  return {units.begin(), units.end()};
}

TEST(HevcConfig, ParsesAnFfmpegRecord) {
  Result<HevcConfig> config = parseHevcConfig(td::kHvcC1280x720Main);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->ptl.profileSpace, 0);
  EXPECT_EQ(config->ptl.tier, 0);
  EXPECT_EQ(config->ptl.profileIdc, 1);
  EXPECT_EQ(config->ptl.compatibilityFlags, 0x60000000u);
  EXPECT_EQ(config->ptl.constraintFlags, 0x900000000000ULL);
  EXPECT_EQ(config->ptl.levelIdc, 93);
  EXPECT_EQ(config->chromaFormat, 1);
  EXPECT_EQ(config->bitDepthLuma, 8);
  EXPECT_EQ(config->nalLengthSize, 4);
  EXPECT_EQ(config->numTemporalLayers, 1);
  EXPECT_TRUE(config->temporalIdNested);
  ASSERT_EQ(config->vps.size(), 1u);
  ASSERT_EQ(config->sps.size(), 1u);
  ASSERT_EQ(config->pps.size(), 1u);
  EXPECT_EQ(hevcNalType(config->vps[0][0]), kHevcNalVps);
  EXPECT_EQ(hevcNalType(config->sps[0][0]), kHevcNalSps);
  EXPECT_EQ(hevcNalType(config->pps[0][0]), kHevcNalPps);
}

TEST(HevcConfig, SkipsSeiArrays) {
  Bytes record(std::begin(td::kHvcC1280x720Main), std::end(td::kHvcC1280x720Main));
  record[22] += 1;  // numOfArrays
  record.insert(record.end(), {0x27, 0x00, 0x01, 0x00, 0x04, 0x4e, 0x01, 0x05, 0x80});
  Result<HevcConfig> config = parseHevcConfig(record);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->sps.size(), 1u);
  EXPECT_EQ(config->pps.size(), 1u);
}

TEST(HevcConfig, RejectsEveryTruncation) {
  const ByteSpan record(td::kHvcC1920x1080Main);
  for (size_t length = 0; length < record.size(); ++length) {
    EXPECT_EQ(errorCode(parseHevcConfig(record.first(length))), "media.truncated")
        << "length " << length;
  }
}

TEST(HevcConfig, RejectsBadVersionLengthSizeAndMissingSps) {
  Bytes record(std::begin(td::kHvcC1280x720Main), std::end(td::kHvcC1280x720Main));
  record[0] = 0;
  EXPECT_EQ(errorCode(parseHevcConfig(record)), "media.invalid");
  record[0] = 1;
  record[21] = 0x0e;  // lengthSizeMinusOne = 2
  EXPECT_EQ(errorCode(parseHevcConfig(record)), "media.invalid");
  record[21] = 0x0f;
  record[22] = 0;  // no arrays
  record.resize(23);
  EXPECT_EQ(errorCode(parseHevcConfig(record)), "media.invalid");
}

TEST(HevcSps, Parses1280x720Main) {
  const VideoInfo info = infoOf(td::kHvcC1280x720Main);
  EXPECT_EQ(info.width, 1280u);
  EXPECT_EQ(info.height, 720u);
  EXPECT_DOUBLE_EQ(info.fps, 30.0);
  EXPECT_EQ(info.codecString, "hvc1.1.6.L93.90");
  EXPECT_EQ(info.profile, 1);
  EXPECT_EQ(info.level, 93);
  EXPECT_EQ(info.bitDepth, 8);
  EXPECT_EQ(info.chromaFormat, 1);
}

TEST(HevcSps, Parses1920x1080Main) {
  const VideoInfo info = infoOf(td::kHvcC1920x1080Main);  // 1088 coded lines
  EXPECT_EQ(info.width, 1920u);
  EXPECT_EQ(info.height, 1080u);
  EXPECT_DOUBLE_EQ(info.fps, 25.0);
  EXPECT_EQ(info.codecString, "hvc1.1.6.L120.90");
}

TEST(HevcSps, AppliesTheConformanceWindowOfAnOddSizeMain10) {
  const VideoInfo info = infoOf(td::kHvcC854x480Main10);  // 856 coded columns
  EXPECT_EQ(info.width, 854u);
  EXPECT_EQ(info.height, 480u);
  EXPECT_EQ(info.bitDepth, 10);
  EXPECT_EQ(info.bitDepthChroma, 10);
  EXPECT_EQ(info.codecString, "hvc1.2.4.L90.90");
}

TEST(HevcSps, ParsesRangeExtension422) {
  Result<HevcSps> sps = parseHevcSps(td::kHevcSps640x360Rext422);
  ASSERT_TRUE(sps.ok()) << sps.error().message;
  EXPECT_EQ(sps->info.width, 640u);
  EXPECT_EQ(sps->info.height, 360u);
  EXPECT_EQ(sps->info.chromaFormat, 2);
  EXPECT_EQ(sps->info.bitDepth, 10);
  EXPECT_DOUBLE_EQ(sps->info.fps, 24.0);
  EXPECT_EQ(sps->info.codecString, "hvc1.4.10.L63.9D.8");
  EXPECT_EQ(sps->maxSubLayers, 1);
}

TEST(HevcSps, WalksScalingListsAndReferenceSetsToTheVuiTiming) {
  Result<HevcSps> sps = parseHevcSps(td::kHevcSps1280x720ScalingList);
  ASSERT_TRUE(sps.ok()) << sps.error().message;
  EXPECT_EQ(sps->info.width, 1280u);
  EXPECT_EQ(sps->info.height, 720u);
  EXPECT_DOUBLE_EQ(sps->info.fps, 60.0);
}

TEST(HevcSps, TruncationIsAnErrorOrLosesOnlyTheFrameRate) {
  const Bytes sps = parseHevcConfig(td::kHvcC1920x1080Main)->sps[0];
  for (size_t length = 0; length < sps.size(); ++length) {
    Result<HevcSps> parsed = parseHevcSps(ByteSpan(sps).first(length));
    if (parsed.ok()) {
      EXPECT_EQ(parsed->info.width, 1920u);
      EXPECT_EQ(parsed->info.height, 1080u);
      EXPECT_EQ(parsed->info.fps, 0.0) << "length " << length;
    } else {
      EXPECT_EQ(errorCode(parsed), "media.truncated") << "length " << length;
    }
  }
}

TEST(HevcSps, RejectsOtherNalUnitsAndOtherLayers) {
  const HevcConfig config = *parseHevcConfig(td::kHvcC1280x720Main);
  EXPECT_EQ(errorCode(parseHevcSps(config.pps[0])), "media.invalid");
  Bytes layered = config.sps[0];
  layered[1] = 0x09;  // nuh_layer_id 1
  EXPECT_EQ(errorCode(parseHevcSps(layered)), "media.unsupported");
}

TEST(HevcCodecString, FollowsTheIsoExampleForProfileSpaceAndHighTier) {
  HevcProfileTierLevel ptl;
  ptl.profileSpace = 1;
  ptl.tier = 1;
  ptl.profileIdc = 4;
  ptl.compatibilityFlags = 0x82000000;  // flags 0 and 6: reversed 0x41
  ptl.constraintFlags = 0xb02300000000ULL;
  ptl.levelIdc = 120;
  EXPECT_EQ(hevcCodecString(ptl), "hvc1.A4.41.H120.B0.23");
  ptl = HevcProfileTierLevel{};
  ptl.profileIdc = 1;
  ptl.levelIdc = 60;
  EXPECT_EQ(hevcCodecString(ptl), "hvc1.1.0.L60.0");
}

TEST(Hevc, DetectsIrapKeyframes) {
  const Bytes stream = annexBToLengthPrefixed(td::kHevcAnnexB64x64);
  EXPECT_TRUE(hevcIsKeyframe(stream, 4));  // holds an IDR_N_LP
  AnnexBNalReader reader(td::kHevcAnnexB64x64);
  ByteSpan last;
  while (auto nal = reader.next()) last = *nal;
  Bytes trail;
  appendU32(trail, static_cast<uint32_t>(last.size()));
  appendBytes(trail, last);
  EXPECT_FALSE(hevcIsKeyframe(trail, 4));
  const uint8_t cra[] = {0x00, 0x02, 0x2a, 0x01};  // CRA_NUT (21)
  EXPECT_TRUE(hevcIsKeyframe(cra, 2));
  EXPECT_FALSE(hevcIsKeyframe(ByteSpan(stream).first(10), 4));
}

TEST(BuildHevcConfig, ReproducesFfmpegRecords) {
  for (ByteSpan record : {ByteSpan(td::kHvcC1280x720Main), ByteSpan(td::kHvcC1920x1080Main),
                          ByteSpan(td::kHvcC854x480Main10)}) {
    Result<HevcConfig> config = parseHevcConfig(record);
    ASSERT_TRUE(config.ok());
    Result<Bytes> built =
        buildHevcConfig(spans(config->vps), spans(config->sps), spans(config->pps));
    ASSERT_TRUE(built.ok()) << built.error().message;
    EXPECT_EQ(*built, Bytes(record.begin(), record.end()));
  }
}

TEST(BuildHevcConfig, BuildsFromAnAnnexBStream) {
  std::vector<ByteSpan> vps, sps, pps;
  AnnexBNalReader reader(td::kHevcAnnexB64x64);
  while (auto nal = reader.next()) {
    const uint8_t type = hevcNalType((*nal)[0]);
    if (type == kHevcNalVps) vps.push_back(*nal);
    if (type == kHevcNalSps) sps.push_back(*nal);
    if (type == kHevcNalPps) pps.push_back(*nal);
  }
  Result<Bytes> built = buildHevcConfig(vps, sps, pps);
  ASSERT_TRUE(built.ok());
  Result<HevcConfig> config = parseHevcConfig(*built);
  ASSERT_TRUE(config.ok());
  const VideoInfo info = *videoInfoOf(*config);
  EXPECT_EQ(info.width, 64u);
  EXPECT_EQ(info.height, 64u);
  EXPECT_EQ(config->vps.size() + config->sps.size() + config->pps.size(), 3u);
  EXPECT_FALSE(buildHevcConfig(vps, {}, pps).ok());
}

}  // namespace
}  // namespace tidecast::core::media
