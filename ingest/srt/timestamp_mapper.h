// MPEG-TS timestamps (33-bit, 90 kHz, wrapping every 26.5 hours, jumping at a PCR
// discontinuity or an encoder restart) -> one continuous millisecond timeline for the hub.
// One mapper per connection, shared by its tracks so audio and video stay aligned: each value
// is unwrapped against the last value seen on any track; a step larger than
// kMaxTimestampStep90k either way is a discontinuity and continues the timeline just after
// the last output instead of jumping; so is a step back past the timeline's start, so outputs
// are never negative. Pure: one thread at a time.
#pragma once

#include <cstdint>

namespace tidecast::ingest::srt {

inline constexpr int64_t kTsClock = 90000;
inline constexpr int64_t kTsTimestampModulo = int64_t{1} << 33;
// Interleaving and B-frame reordering stay well below this; anything beyond is a jump.
inline constexpr int64_t kMaxTimestampStep90k = 10 * kTsClock;
// The output timeline starts here (a little above zero: the first values seen may be a
// presentation time ahead of later decode times).
inline constexpr int64_t kTimelineStartMs = 1000;

class TimestampMapper {
 public:
  // A raw PES timestamp (only its low 33 bits count) -> milliseconds.
  int64_t toMs(int64_t raw90k);
  uint64_t discontinuities() const { return discontinuities_; }

 private:
  bool started_ = false;
  int64_t last_ = 0;       // last raw value, 33 bits
  int64_t unwrapped_ = 0;  // 90 kHz, relative to the first value
  uint64_t discontinuities_ = 0;
};

}  // namespace tidecast::ingest::srt
