#include "delivery/hls/multivariant_playlist.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::hls {
namespace {

class MultivariantPlaylistTest : public ::testing::Test {
 protected:
  cmaf::testutil::PackagerHarness harness_;
};

TEST_F(MultivariantPlaylistTest, EmptyWithoutTracks) {
  harness_.publish();
  EXPECT_EQ(renderMultivariantPlaylist(harness_.packager()), "");
}

TEST_F(MultivariantPlaylistTest, VideoVariantWithAudioRendition) {
  harness_.publishFor(6100);
  cmaf::StreamPackager& packager = harness_.packager();
  TrackBandwidth video = measureBandwidth(*packager.video());
  TrackBandwidth audio = measureBandwidth(*packager.audio());
  std::string expected = fmt::format(
      "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n"
      "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,"
      "CHANNELS=\"2\",URI=\"audio.m3u8\"\n"
      "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"avc1.64001f,mp4a.40.2\","
      "RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO=\"audio\"\nvideo.m3u8\n",
      video.peak + audio.peak, video.average + audio.average);
  EXPECT_EQ(renderMultivariantPlaylist(packager), expected);
}

TEST_F(MultivariantPlaylistTest, BandwidthIsMeasuredOverCompleteSegments) {
  harness_.publishFor(6100);
  // A 2 s segment: two 3000-byte keyframes and 58 frames of 800 bytes, plus fMP4 headers.
  const uint64_t payloadBps = (2 * 3000 + 58 * 800) * 8 / 2;
  TrackBandwidth video = measureBandwidth(*harness_.packager().video());
  EXPECT_GT(video.peak, payloadBps);
  EXPECT_LT(video.peak, payloadBps * 11 / 10);
  EXPECT_EQ(video.average, video.peak);  // every segment is alike
  EXPECT_NEAR(video.frameRate, 30.0, 1e-9);
  TrackBandwidth audio = measureBandwidth(*harness_.packager().audio());
  const double audioPayloadBps = 200 * 8 * 48000 / 1024.0;  // 200-byte frames
  EXPECT_GT(static_cast<double>(audio.average), audioPayloadBps);
  EXPECT_LT(static_cast<double>(audio.average), audioPayloadBps * 1.2);
}

TEST_F(MultivariantPlaylistTest, BandwidthFromTheSegmentInProgressBeforeAnyCompletes) {
  harness_.publishFor(1000, true, false);
  ASSERT_FALSE(harness_.packager().video()->segments().front().complete);
  TrackBandwidth video = measureBandwidth(*harness_.packager().video());
  EXPECT_GT(video.peak, 0u);
  EXPECT_EQ(video.peak, video.average);
}

TEST_F(MultivariantPlaylistTest, AudioOnlyStreamHasOneAudioVariant) {
  harness_.publishFor(4500, false, true);
  TrackBandwidth audio = measureBandwidth(*harness_.packager().audio());
  EXPECT_EQ(renderMultivariantPlaylist(harness_.packager()),
            fmt::format("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n"
                        "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},"
                        "CODECS=\"mp4a.40.2\"\naudio.m3u8\n",
                        audio.peak, audio.average));
}

TEST_F(MultivariantPlaylistTest, VideoOnlyStreamHasNoAudioGroup) {
  harness_.publishFor(4500, true, false);
  std::string playlist = renderMultivariantPlaylist(harness_.packager());
  EXPECT_EQ(playlist.find("#EXT-X-MEDIA"), std::string::npos);
  EXPECT_EQ(playlist.find("AUDIO="), std::string::npos);
  EXPECT_NE(playlist.find("CODECS=\"avc1.64001f\",RESOLUTION=1280x720,FRAME-RATE=30.000\n"),
            std::string::npos);
}

}  // namespace
}  // namespace tidecast::delivery::hls
