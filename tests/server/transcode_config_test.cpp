// The transcode: section and apps.<name>.transcode (core/config.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/server/config_test_util.h"

namespace tidecast::core {
namespace {

TEST(TranscodeConfig, ParsesLaddersAndTheAppReference) {
  auto c = parseConfig(R"(apps:
  live:
    transcode: abr
transcode:
  workers: 3
  max_queue_frames: 30
  encoder_threads: 2
  max_jobs: 4
  audio_bitrate: 96000
  ladders:
    abr:
      source: false
      renditions:
        - {name: 720p, height: 720, video_bitrate: 2500000, maxrate: 3000000, bufsize: 6000000,
           profile: high, preset: faster, bframes: 2, fps: 30}
        - {name: 360p, width: 640}
)",
                       "x.yaml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->get<core::AppsConfig>().apps[0].transcode, "abr");
  EXPECT_EQ(c->get<core::TranscodeConfig>().workers, 3u);
  EXPECT_EQ(c->get<core::TranscodeConfig>().maxQueueFrames, 30u);
  EXPECT_EQ(c->get<core::TranscodeConfig>().encoderThreads, 2u);
  EXPECT_EQ(c->get<core::TranscodeConfig>().maxJobs, 4u);
  EXPECT_EQ(c->get<core::TranscodeConfig>().audioBitrate, 96000u);
  ASSERT_EQ(c->get<core::TranscodeConfig>().ladders.size(), 1u);
  const LadderConfig& ladder = c->get<core::TranscodeConfig>().ladders[0];
  EXPECT_FALSE(ladder.source);
  ASSERT_EQ(ladder.renditions.size(), 2u);
  const RenditionConfig& hd = ladder.renditions[0];
  EXPECT_EQ(hd.name, "720p");
  EXPECT_EQ(hd.height, 720u);
  EXPECT_EQ(hd.width, 0u);
  EXPECT_EQ(hd.videoBitrate, 2500000u);
  EXPECT_EQ(hd.maxrate, 3000000u);
  EXPECT_EQ(hd.bufsize, 6000000u);
  EXPECT_EQ(hd.profile, "high");
  EXPECT_EQ(hd.preset, "faster");
  EXPECT_EQ(hd.bframes, 2u);
  EXPECT_EQ(hd.fps, 30u);
  EXPECT_EQ(ladder.renditions[1].width, 640u);
  EXPECT_EQ(ladder.renditions[1].preset, "veryfast");  // defaults
}

TEST(TranscodeConfig, OffUnlessAnAppNamesALadder) {
  auto c = parseConfig("", "x.yaml");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->get<core::TranscodeConfig>().ladders.empty());
  EXPECT_EQ(c->get<core::TranscodeConfig>().audioBitrate, 128000u);
  EXPECT_EQ(c->get<core::AppsConfig>().apps[0].transcode, "");
}

TEST(TranscodeConfig, RejectsAnUnknownLadderReference) {
  auto c = parseConfig("apps:\n  live:\n    transcode: nope\n", "x.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, "config.invalid_value");
  EXPECT_EQ(c.error().message,
            "x.yaml: apps.live.transcode: no ladder named 'nope' in transcode.ladders");
}

TEST(TranscodeConfig, RejectsBadRenditions) {
  auto error = [](const char* renditions) {
    std::string yaml =
        std::string("transcode:\n  ladders:\n    abr:\n      renditions:\n") + renditions;
    auto c = parseConfig(yaml, "x.yaml");
    EXPECT_FALSE(c.ok()) << renditions;
    return c.ok() ? std::string() : c.error().message;
  };
  EXPECT_NE(error("        - {name: video}\n").find("other than video/audio"), std::string::npos);
  EXPECT_NE(error("        - {name: a/b}\n").find("transcode.ladders.abr.renditions"),
            std::string::npos);
  EXPECT_NE(error("        - {name: a}\n        - {name: a}\n").find("used once"),
            std::string::npos);
  EXPECT_NE(error("        - {name: a, preset: warp}\n").find("one of ultrafast"),
            std::string::npos);
  EXPECT_NE(error("        - {name: a, video_bitrate: 5}\n").find("10000.."), std::string::npos);
  EXPECT_NE(error("        - {height: 5}\n").find("name"), std::string::npos);
  EXPECT_NE(error("        - {name: a, sharpness: 3}\n").find("unknown key"), std::string::npos);
}

TEST(TranscodeConfig, ShippedFileTurnsOnSourcePlus480pAnd360pForLive) {
  const auto path = std::filesystem::path(TIDECAST_SOURCE_DIR) / "conf/tidecast.yaml";
  auto c = loadConfigFile(path.string());
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->get<core::AppsConfig>().apps.size(), 1u);
  EXPECT_EQ(c->get<core::AppsConfig>().apps[0].transcode, "abr");
  ASSERT_EQ(c->get<core::TranscodeConfig>().ladders.size(), 1u);
  const LadderConfig& ladder = c->get<core::TranscodeConfig>().ladders[0];
  EXPECT_TRUE(ladder.source);
  ASSERT_EQ(ladder.renditions.size(), 2u);
  EXPECT_EQ(ladder.renditions[0].name, "480p");
  EXPECT_EQ(ladder.renditions[0].height, 480u);
  EXPECT_EQ(ladder.renditions[1].name, "360p");
  EXPECT_EQ(ladder.renditions[1].height, 360u);
  // Everything else in the section is the built-in default.
  TranscodeConfig defaults;
  EXPECT_EQ(c->get<core::TranscodeConfig>().workers, defaults.workers);
  EXPECT_EQ(c->get<core::TranscodeConfig>().maxQueueFrames, defaults.maxQueueFrames);
  EXPECT_EQ(c->get<core::TranscodeConfig>().encoderThreads, defaults.encoderThreads);
  EXPECT_EQ(c->get<core::TranscodeConfig>().maxJobs, defaults.maxJobs);
}

}  // namespace
}  // namespace tidecast::core
