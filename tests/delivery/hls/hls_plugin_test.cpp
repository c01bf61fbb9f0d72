#include "delivery/hls/hls_plugin.h"

#include <gtest/gtest.h>

#include "delivery/hls/media_playlist.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::hls {
namespace {

PlaylistRequest at(std::optional<uint64_t> msn, std::optional<uint64_t> part = std::nullopt) {
  PlaylistRequest request;
  request.msn = msn;
  request.part = part;
  return request;
}

class BlockingReload : public ::testing::Test {
 protected:
  BlockingReload() {
    harness_.settings.windowSegments = 3;
    harness_.publishFor(11100, true, false);  // segments 0..4 complete, 5 open with parts
  }
  const cmaf::CmafTrack& video() { return *harness_.packager().video(); }

  cmaf::testutil::PackagerHarness harness_;
};

TEST_F(BlockingReload, WithoutMsnAnswersAtOnce) {
  cmaf::CmafTrack empty(core::media::TrackType::kVideo, 3);
  EXPECT_TRUE(blockingReloadReady(empty, at(std::nullopt)));
  EXPECT_FALSE(blockingReloadReady(empty, at(0)));
  EXPECT_FALSE(blockingReloadReady(empty, at(0, 0)));
}

TEST_F(BlockingReload, MsnWaitsForThatSegmentToComplete) {
  ASSERT_EQ(video().segments().front().msn, 2u);
  ASSERT_EQ(video().segments().back().msn, 5u);
  ASSERT_FALSE(video().segments().back().complete);
  EXPECT_TRUE(blockingReloadReady(video(), at(4)));
  EXPECT_FALSE(blockingReloadReady(video(), at(5)));  // in progress
  EXPECT_FALSE(blockingReloadReady(video(), at(6)));
  EXPECT_TRUE(blockingReloadReady(video(), at(0)));  // long gone from the window
}

TEST_F(BlockingReload, PartWaitsForThatPartOrALaterSegment) {
  PlaylistPosition last = lastPosition(video());
  ASSERT_TRUE(last.any);
  EXPECT_EQ(last.msn, 5u);
  EXPECT_EQ(last.part, 4);  // 11.0 s: five 200 ms parts of segment 5 done (the sixth is open)
  EXPECT_TRUE(blockingReloadReady(video(), at(5, 0)));
  EXPECT_TRUE(blockingReloadReady(video(), at(5, 4)));
  EXPECT_FALSE(blockingReloadReady(video(), at(5, 5)));
  EXPECT_FALSE(blockingReloadReady(video(), at(6, 0)));
  EXPECT_TRUE(blockingReloadReady(video(), at(4, 99)));  // segment 4 is over: its parts too
  EXPECT_TRUE(blockingReloadReady(video(), at(1, 0)));
}

TEST_F(BlockingReload, BecomesReadyWhenThePartArrives) {
  EXPECT_FALSE(blockingReloadReady(video(), at(5, 5)));
  cmaf::testutil::SyntheticSource& source = *harness_.sources.back();
  source.runUntil(11300);
  EXPECT_TRUE(blockingReloadReady(video(), at(5, 5)));
  source.runUntil(12300);  // segment 5 closes at 12 s, part 0 of 6 at 12.2 s
  EXPECT_TRUE(blockingReloadReady(video(), at(5)));
  EXPECT_TRUE(blockingReloadReady(video(), at(6, 0)));
}

}  // namespace
}  // namespace tidecast::delivery::hls
