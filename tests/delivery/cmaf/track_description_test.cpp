#include "delivery/cmaf/track_description.h"

#include <gtest/gtest.h>

#include "tests/core/media/media_test_vectors.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::cmaf {
namespace {

using core::media::Codec;
using core::media::TrackType;
using testutil::configPacket;
namespace testdata = core::media::testdata;

TEST(TrackDescription, H264FromAvcC) {
  auto track = describeTrack(*testutil::h264Config());
  ASSERT_TRUE(track.ok()) << track.error().message;
  EXPECT_EQ(track->type, TrackType::kVideo);
  EXPECT_EQ(track->timescale, kVideoTimescale);
  EXPECT_EQ(track->width, 1280u);
  EXPECT_EQ(track->height, 720u);
  EXPECT_DOUBLE_EQ(track->fps, 30.0);
  EXPECT_EQ(track->codecString, "avc1.64001f");
  EXPECT_EQ(track->config.view(), testutil::h264Config()->data.view());
}

TEST(TrackDescription, AacTimescaleIsTheSampleRateWith1024SampleFrames) {
  auto track = describeTrack(*testutil::aacConfig());
  ASSERT_TRUE(track.ok()) << track.error().message;
  EXPECT_EQ(track->type, TrackType::kAudio);
  EXPECT_EQ(track->timescale, 48000u);
  EXPECT_EQ(track->sampleRate, 48000u);
  EXPECT_EQ(track->channels, 2);
  EXPECT_EQ(track->samplesPerFrame, 1024u);
  EXPECT_EQ(track->codecString, "mp4a.40.2");
}

TEST(TrackDescription, OpusHeadGivesChannelsAndPreSkip) {
  auto track = describeTrack(*configPacket(TrackType::kAudio, Codec::kOpus, testutil::kOpusHead));
  ASSERT_TRUE(track.ok()) << track.error().message;
  EXPECT_EQ(track->codecString, "opus");
  EXPECT_EQ(track->timescale, 48000u);
  EXPECT_EQ(track->channels, 2);
  EXPECT_EQ(track->opusPreSkip, 312);
  EXPECT_EQ(track->samplesPerFrame, 0u);  // durations from timestamps
}

TEST(TrackDescription, RejectsBrokenConfigsAndUnsupportedCodecs) {
  const uint8_t junk[] = {0x01, 0x02};
  EXPECT_EQ(
      describeTrack(*configPacket(TrackType::kVideo, Codec::kH264, junk)).error().code.substr(0, 6),
      "media.");
  EXPECT_EQ(describeTrack(*configPacket(TrackType::kAudio, Codec::kOpus, junk)).error().code,
            "media.invalid");
  EXPECT_EQ(describeTrack(*configPacket(TrackType::kAudio, Codec::kMp3, junk)).error().code,
            "cmaf.unsupported_codec");
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
