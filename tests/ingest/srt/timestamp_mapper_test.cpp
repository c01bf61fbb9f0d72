#include "ingest/srt/timestamp_mapper.h"

#include <gtest/gtest.h>

namespace tidecast::ingest::srt {
namespace {

TEST(SrtTimestampMapper, StartsAtTheTimelineStartAndFollows90kHz) {
  TimestampMapper mapper;
  EXPECT_EQ(mapper.toMs(900000), kTimelineStartMs);
  EXPECT_EQ(mapper.toMs(900000 + 90 * 40), kTimelineStartMs + 40);
  EXPECT_EQ(mapper.toMs(900000 + 90 * 20), kTimelineStartMs + 20);  // B-frame reordering
  EXPECT_EQ(mapper.discontinuities(), 0u);
}

TEST(SrtTimestampMapper, UnwrapsThe33BitWrapAgainAndAgain) {
  TimestampMapper mapper;
  int64_t raw = kTsTimestampModulo - 90 * 100;  // 100 ms before the wrap
  int64_t first = mapper.toMs(raw);
  int64_t expected = first;
  for (int wraps = 0; wraps < 3; ++wraps) {
    // Walk across a wrap in 1 s steps (the shared mapper sees every track's values).
    for (int i = 0; i < 30; ++i) {
      raw = (raw + kTsClock) % kTsTimestampModulo;
      expected += 1000;
      ASSERT_EQ(mapper.toMs(raw), expected);
    }
    // Jump the raw clock forward to just before the next wrap, in small steps.
    while (raw < kTsTimestampModulo - 5 * kTsClock) {
      raw += 5 * kTsClock;
      expected += 5000;
      ASSERT_EQ(mapper.toMs(raw), expected);
    }
  }
  EXPECT_EQ(mapper.discontinuities(), 0u);
  // Also when the raw values still carry bits above 33 (a demuxer that corrected them).
  EXPECT_EQ(mapper.toMs(raw + kTsTimestampModulo + 90), expected + 1);
}

TEST(SrtTimestampMapper, DiscontinuityContinuesTheTimeline) {
  TimestampMapper mapper;
  mapper.toMs(1000000);
  int64_t before = mapper.toMs(1000000 + 90 * 500);
  // The encoder restarts: its clock jumps back by an hour.
  int64_t after = mapper.toMs(1000000 - 3600 * kTsClock);
  EXPECT_EQ(mapper.discontinuities(), 1u);
  EXPECT_GE(after, before);
  EXPECT_LE(after, before + 1);
  EXPECT_EQ(mapper.toMs(1000000 - 3600 * kTsClock + 90 * 40), after + 40);
  // And forward jumps too.
  int64_t jumped = mapper.toMs(1000000 + 5 * 3600 * kTsClock);
  EXPECT_EQ(mapper.discontinuities(), 2u);
  EXPECT_LE(jumped, after + 41);
}

TEST(SrtTimestampMapper, NeverGoesBelowZero) {
  TimestampMapper mapper;
  EXPECT_EQ(mapper.toMs(100 * kTsClock), kTimelineStartMs);
  // 5 s back: within the jump limit, but before the timeline's start.
  int64_t back = mapper.toMs(95 * kTsClock);
  EXPECT_GE(back, 0);
  EXPECT_EQ(mapper.discontinuities(), 1u);
  // Half a second back is an ordinary step (B-frames, interleaving).
  TimestampMapper other;
  other.toMs(100 * kTsClock);
  EXPECT_EQ(other.toMs(100 * kTsClock - kTsClock / 2), kTimelineStartMs - 500);
  EXPECT_EQ(other.discontinuities(), 0u);
}

}  // namespace
}  // namespace tidecast::ingest::srt
