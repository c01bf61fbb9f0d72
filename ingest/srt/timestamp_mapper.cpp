#include "ingest/srt/timestamp_mapper.h"

namespace tidecast::ingest::srt {

namespace {
constexpr int64_t kStepAfterJump90k = kTsClock / 1000;  // 1 ms: keeps the timeline rising

int64_t floorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

int64_t TimestampMapper::toMs(int64_t raw90k) {
  int64_t value = raw90k & (kTsTimestampModulo - 1);
  if (!started_) {
    started_ = true;
    last_ = value;
    return kTimelineStartMs;
  }
  int64_t delta = value - last_;
  // Shortest way round the 33-bit circle: a wrap is a small step, not a 26-hour one.
  if (delta >= kTsTimestampModulo / 2) delta -= kTsTimestampModulo;
  if (delta < -kTsTimestampModulo / 2) delta += kTsTimestampModulo;
  // A jump either way is a discontinuity, and so is a step back before the timeline's start
  // (outputs are never negative: FLV and RTMP carry unsigned times).
  bool beforeStart = (unwrapped_ + delta) * 1000 / kTsClock < -kTimelineStartMs;
  if (delta > kMaxTimestampStep90k || delta < -kMaxTimestampStep90k || beforeStart) {
    ++discontinuities_;
    delta = kStepAfterJump90k;
  }
  last_ = value;
  unwrapped_ += delta;
  return kTimelineStartMs + floorDiv(unwrapped_ * 1000, kTsClock);
}

}  // namespace tidecast::ingest::srt
