#include "delivery/cmaf/cmaf_track.h"

#include <gtest/gtest.h>

#include "tests/delivery/cmaf/bmff_reader.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::cmaf {
namespace {

using core::media::TrackType;
using testutil::flatten;
using testutil::Fragment;
using testutil::walk;

constexpr uint64_t kFrame = 3000;  // 30 fps at 90 kHz

std::vector<Fragment> fragmentsOf(const core::SliceList& bytes) {
  std::vector<Fragment> fragments;
  EXPECT_EQ(testutil::parseFragments(walk(flatten(bytes)), fragments), "");
  return fragments;
}

class CmafTrackTest : public ::testing::Test {
 protected:
  CmafTrackTest() { track_.describe(*describeTrack(*testutil::h264Config())); }

  // Adds frames [from, to) of a 30 fps stream with a keyframe every `gop` frames.
  void frames(uint64_t from, uint64_t to, uint64_t gop = 30) {
    for (uint64_t i = from; i < to; ++i) {
      auto packet = testutil::videoFrame(static_cast<int64_t>(i * 1000 / 30), i % gop == 0);
      packets_.push_back(packet);
      track_.addSample(packet, i * kFrame, 0, i % gop == 0);
    }
  }

  CmafTrack track_{TrackType::kVideo, 3};
  std::vector<core::media::MediaPacketPtr> packets_;
};

// Regression: the sample held back for its duration was left out of the part closed at the
// next sample's time, and slipped into the next part (or the next segment, ahead of its
// keyframe) under that part's decode time.
TEST_F(CmafTrackTest, ClosedPartHoldsEverySampleBeforeItsEnd) {
  track_.openSegment(0, 0, 0, 0);
  frames(0, 6);
  track_.closePart(6 * kFrame);
  ASSERT_EQ(track_.segments().size(), 1u);
  const Segment& segment = track_.segments()[0];
  ASSERT_EQ(segment.parts.size(), 1u);
  const Part& part = *segment.parts[0];
  EXPECT_EQ(part.duration, 6 * kFrame);
  auto fragments = fragmentsOf(part.bytes);
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_EQ(fragments[0].trun.samples.size(), 6u);
  EXPECT_EQ(fragments[0].duration(), part.duration);
  EXPECT_EQ(segment.samples, 6u);
}

TEST_F(CmafTrackTest, NewSegmentStartsWithItsKeyframeAtItsDecodeTime) {
  track_.openSegment(0, 0, 0, 0);
  frames(0, 30);
  track_.closeSegment(30 * kFrame);
  track_.openSegment(1, 30 * kFrame, 1000, 0);
  frames(30, 36);
  track_.closePart(36 * kFrame);
  const Segment& first = track_.segments()[0];
  const Segment& second = track_.segments()[1];
  EXPECT_TRUE(first.complete);
  EXPECT_EQ(first.samples, 30u);
  EXPECT_EQ(first.duration, 30 * kFrame);
  auto fragments = fragmentsOf(track_.segmentBytes(second));
  ASSERT_EQ(fragments.size(), 1u);
  EXPECT_EQ(fragments[0].baseDecodeTime, 30 * kFrame);
  EXPECT_EQ(fragments[0].trun.samples[0].flags, 0x02000000u);  // the keyframe comes first
  EXPECT_EQ(fragments[0].trun.samples[0].size, packets_[30]->data.size());
  EXPECT_TRUE(second.parts[0]->independent);
}

TEST_F(CmafTrackTest, PartsNumberConsecutivelyAndAreFoundById) {
  track_.openSegment(0, 0, 0, 0);
  for (uint64_t p = 0; p < 5; ++p) {
    frames(p * 6, p * 6 + 6);
    track_.closePart((p + 1) * 6 * kFrame);
  }
  const Segment& segment = track_.segments()[0];
  ASSERT_EQ(segment.parts.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(segment.parts[i]->id, i);
    EXPECT_EQ(segment.parts[i]->index, i);
    EXPECT_EQ(segment.parts[i]->start, i * 6 * kFrame);
    EXPECT_EQ(track_.part(i), segment.parts[i]);
  }
  EXPECT_EQ(track_.part(5), nullptr);
  EXPECT_EQ(track_.nextPartId(), 5u);
  // mfhd sequence numbers continue across parts; only the first opens the segment.
  auto fragments = fragmentsOf(track_.segmentBytes(segment));
  ASSERT_EQ(fragments.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(fragments[i].sequenceNumber, i + 1);
    EXPECT_EQ(fragments[i].styp, i == 0);
    EXPECT_EQ(fragments[i].baseDecodeTime, i * 6 * kFrame);
  }
}

TEST_F(CmafTrackTest, SegmentBytesFromAPartSkipTheEarlierOnes) {
  track_.openSegment(0, 0, 0, 0);
  frames(0, 6);
  track_.closePart(6 * kFrame);
  frames(6, 12);
  track_.closePart(12 * kFrame);
  const Segment& segment = track_.segments()[0];
  EXPECT_EQ(flatten(track_.segmentBytes(segment, 1)), flatten(segment.parts[1]->bytes));
  EXPECT_EQ(testutil::Bytes(), flatten(track_.segmentBytes(segment, 2)));
}

TEST_F(CmafTrackTest, EmptySegmentIsDroppedAtClose) {
  track_.openSegment(0, 0, 0, 0);
  track_.closeSegment(0);
  EXPECT_TRUE(track_.segments().empty());
  EXPECT_FALSE(track_.hasOpenSegment());
  EXPECT_EQ(track_.nextMsn(), 0u);
}

TEST_F(CmafTrackTest, FlushGivesTheLastSampleThePreviousDuration) {
  track_.openSegment(0, 0, 0, 0);
  frames(0, 10);
  EXPECT_EQ(track_.end(), std::optional<uint64_t>(10 * kFrame));
  track_.flush();
  ASSERT_EQ(track_.segments().size(), 1u);
  const Segment& segment = track_.segments()[0];
  EXPECT_TRUE(segment.complete);
  EXPECT_EQ(segment.samples, 10u);
  EXPECT_EQ(segment.duration, 10 * kFrame);
  EXPECT_EQ(track_.end(), std::optional<uint64_t>(10 * kFrame));
  EXPECT_FALSE(track_.hasOpenSegment());
}

TEST_F(CmafTrackTest, WindowKeepsTheNewestCompleteSegmentsAndTheirInits) {
  uint64_t changes = 0;
  track_.setOnChange([&] { ++changes; });
  for (uint64_t s = 0; s < 6; ++s) {
    if (s == 2) {  // new parameters: init version 1 from segment 2 on
      TrackDescription other = *describeTrack(*testutil::configPacket(
          TrackType::kVideo, core::media::Codec::kH264, core::media::testdata::kAvcC1920x1080High));
      EXPECT_TRUE(track_.describe(other));
      EXPECT_FALSE(track_.describe(other));  // same record: no new version
    }
    track_.openSegment(s, s * 30 * kFrame, 0, 0);
    frames(s * 30, s * 30 + 30);
    track_.closeSegment((s + 1) * 30 * kFrame);
  }
  EXPECT_EQ(changes, 12u);  // a part and a segment close each
  ASSERT_EQ(track_.segments().size(), 3u);
  EXPECT_EQ(track_.segments().front().msn, 3u);
  EXPECT_EQ(track_.nextMsn(), 6u);
  EXPECT_EQ(track_.segment(2), nullptr);
  EXPECT_EQ(track_.segment(4)->msn, 4u);
  EXPECT_EQ(track_.segment(6), nullptr);
  EXPECT_EQ(track_.initVersion(), 1u);
  EXPECT_EQ(track_.segments().front().initVersion, 1u);
  EXPECT_TRUE(track_.init(0).empty());  // no segment left uses it
  EXPECT_FALSE(track_.init(1).empty());
  EXPECT_EQ(track_.maxSegmentDuration(), 30 * kFrame);
}

TEST_F(CmafTrackTest, DiscontinuityIsAChangeOfSequenceAfterTheFirstSegment) {
  track_.openSegment(0, 0, 0, 4);  // nothing before it: not a discontinuity
  frames(0, 30);
  track_.openSegment(1, 30 * kFrame, 0, 5);  // closes segment 0
  frames(30, 60);
  track_.openSegment(2, 60 * kFrame, 0, 5);
  frames(60, 90);
  track_.flush();
  ASSERT_EQ(track_.segments().size(), 3u);
  EXPECT_FALSE(track_.segments()[0].discontinuity);
  EXPECT_EQ(track_.segments()[0].discontinuitySequence, 4u);
  EXPECT_TRUE(track_.segments()[1].discontinuity);
  EXPECT_EQ(track_.segments()[1].discontinuitySequence, 5u);
  EXPECT_FALSE(track_.segments()[2].discontinuity);
  EXPECT_TRUE(track_.segments()[0].complete);
}

// A segment is presented from its first sample's composition time (B-frames delay it): what
// the MPD lists and $Time$ URLs name.
TEST_F(CmafTrackTest, PresentationStartIsWhenTheFirstSampleIsShown) {
  track_.openSegment(0, 0, 0, 0);
  auto keyframe = testutil::videoFrame(0, true);
  track_.addSample(keyframe, 0, 2970, true);
  track_.addSample(testutil::videoFrame(33, false), kFrame, 9000, false);
  track_.openSegment(1, 2 * kFrame, 0, 0);
  ASSERT_EQ(track_.segments().size(), 2u);
  EXPECT_EQ(track_.segments()[0].start, 0u);
  EXPECT_EQ(track_.segments()[0].presentationStart, 2970u);
  EXPECT_EQ(track_.segmentAt(2970, kFrame), 0u);
  // Until its first sample comes, a segment is taken to be shown from its decode time.
  EXPECT_EQ(track_.segments()[1].presentationStart, 2 * kFrame);
}

// DASH $Time$ URLs: an exact start anywhere in the window; a start the MPD predicted for the
// segment after the one in progress (off by less than the tolerance either way) names that
// segment, held for when it has not opened yet; other times name nothing.
TEST_F(CmafTrackTest, SegmentAtFindsAStartOrThePredictedNextSegment) {
  constexpr uint64_t kSegment = 60 * kFrame;  // 2 s
  constexpr uint64_t kTolerance = kSegment / 2;
  for (uint64_t s = 0; s < 4; ++s) {
    track_.openSegment(s, s * kSegment, 0, 0);
    frames(s * 60, s * 60 + (s < 3 ? 60 : 10), 60);  // segment 3 is in progress
  }
  ASSERT_EQ(track_.segments().size(), 4u);
  ASSERT_EQ(track_.segments().front().msn, 0u);
  for (uint64_t s = 0; s < 4; ++s) EXPECT_EQ(track_.segmentAt(s * kSegment, kTolerance), s);
  EXPECT_EQ(track_.segmentAt(4 * kSegment, kTolerance), 4u);  // upcoming: nextMsn()
  EXPECT_EQ(track_.nextMsn(), 4u);
  // Predicted a little early or late (a keyframe within the cut tolerance, audio frames).
  EXPECT_EQ(track_.segmentAt(4 * kSegment + 2 * kFrame, kTolerance), 4u);
  EXPECT_EQ(track_.segmentAt(4 * kSegment - 2 * kFrame, kTolerance), 4u);
  EXPECT_EQ(track_.segmentAt(3 * kSegment - 2 * kFrame, kTolerance), 3u);
  EXPECT_EQ(track_.segmentAt(3 * kSegment + kFrame, kTolerance), 3u);
  // A prediction of segment 2 asked late, when segment 3 is out: still segment 2.
  EXPECT_EQ(track_.segmentAt(2 * kSegment + kFrame, kTolerance), 2u);
  // No prediction names segment 1 any more, nor anything before the window.
  EXPECT_EQ(track_.segmentAt(kSegment + kFrame, kTolerance), std::nullopt);
  EXPECT_EQ(track_.segmentAt(kFrame, kTolerance), std::nullopt);
  CmafTrack empty{TrackType::kVideo, 3};
  EXPECT_EQ(empty.segmentAt(0, kTolerance), std::nullopt);
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
