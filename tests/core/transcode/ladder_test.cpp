#include "core/transcode/ladder.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace tidecast::core::transcode {
namespace {

TEST(TranscodeLadder, HeightOnlyKeepsTheSourceAspectRatio) {
  EXPECT_EQ(scaledSize({1280, 720}, 0, 480), (FrameSize{854, 480}));
  EXPECT_EQ(scaledSize({1280, 720}, 0, 360), (FrameSize{640, 360}));
  EXPECT_EQ(scaledSize({1920, 1080}, 0, 720), (FrameSize{1280, 720}));
}

TEST(TranscodeLadder, WidthOnlyKeepsTheSourceAspectRatio) {
  EXPECT_EQ(scaledSize({1280, 720}, 640, 0), (FrameSize{640, 360}));
  EXPECT_EQ(scaledSize({1440, 1080}, 640, 0), (FrameSize{640, 480}));
}

TEST(TranscodeLadder, SizesAreEvenFor420) {
  FrameSize size = scaledSize({1000, 563}, 0, 241);
  EXPECT_EQ(size.width % 2, 0u);
  EXPECT_EQ(size.height % 2, 0u);
  EXPECT_EQ(size.height, 242u);
}

TEST(TranscodeLadder, NeverUpscalesAndKeepsBothSidesWhenGiven) {
  EXPECT_EQ(scaledSize({640, 360}, 0, 720), (FrameSize{640, 360}));
  EXPECT_EQ(scaledSize({1280, 720}, 0, 0), (FrameSize{1280, 720}));
  EXPECT_EQ(scaledSize({1280, 720}, 320, 320), (FrameSize{320, 320}));
  EXPECT_EQ(scaledSize({0, 0}, 0, 480), (FrameSize{}));
}

TEST(TranscodeLadder, FrameRateIsCappedByTheSource) {
  EXPECT_DOUBLE_EQ(outputFrameRate(30, 0), 30);
  EXPECT_DOUBLE_EQ(outputFrameRate(30, 15), 15);
  EXPECT_DOUBLE_EQ(outputFrameRate(25, 60), 25);
  EXPECT_DOUBLE_EQ(outputFrameRate(0, 24), 24);
}

TEST(TranscodeLadder, DecimatorHalvesThirtyToFifteenAndKeepsEveryKeyframe) {
  FrameDecimator decimator(1000.0 / 15);
  std::vector<int64_t> kept;
  for (int i = 0; i < 30; ++i) {
    int64_t pts = i * 1000 / 30;
    bool key = i == 0 || i == 16;
    if (decimator.keep(pts, key)) kept.push_back(pts);
  }
  EXPECT_EQ(kept.size(), 15u);
  EXPECT_NE(std::find(kept.begin(), kept.end(), 533), kept.end());  // frame 16, a keyframe
}

TEST(TranscodeLadder, DecimatorKeepsAnOddKeyframe) {
  FrameDecimator decimator(1000.0 / 15);
  EXPECT_TRUE(decimator.keep(0, true));
  EXPECT_TRUE(decimator.keep(33, true));  // a keyframe is a segment boundary: never dropped
  EXPECT_FALSE(decimator.keep(67, false));
  EXPECT_TRUE(decimator.keep(100, false));
}

TEST(TranscodeLadder, DecimatorWithoutIntervalKeepsEverything) {
  FrameDecimator decimator;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(decimator.keep(i, false));
}

TEST(TranscodeLadder, X264OptionsForceIdrsAndDisableSceneCut) {
  RenditionConfig rung;
  rung.preset = "faster";
  rung.profile = "high";
  rung.bframes = 2;
  auto options = x264Options(rung);
  auto value = [&](const std::string& key) {
    for (const auto& [k, v] : options) {
      if (k == key) return v;
    }
    return std::string("<missing>");
  };
  EXPECT_EQ(value("preset"), "faster");
  EXPECT_EQ(value("profile"), "high");
  EXPECT_EQ(value("tune"), "zerolatency");
  EXPECT_EQ(value("forced-idr"), "1");
  EXPECT_NE(value("x264-params").find("scenecut=0"), std::string::npos);
  EXPECT_NE(value("x264-params").find("bframes=2"), std::string::npos);
}

TEST(TranscodeLadder, VbvDefaultsFollowTheBitrate) {
  RenditionConfig rung;
  rung.videoBitrate = 800000;
  EXPECT_EQ(effectiveMaxrate(rung), 800000u);
  EXPECT_EQ(effectiveBufsize(rung), 800000u);
  rung.maxrate = 1000000;
  rung.bufsize = 2000000;
  EXPECT_EQ(effectiveMaxrate(rung), 1000000u);
  EXPECT_EQ(effectiveBufsize(rung), 2000000u);
}

}  // namespace
}  // namespace tidecast::core::transcode
