// The one clock of tidecast-latency: publisher stamps and receive times are both read from it,
// in the same process, so their difference is the latency with no clock offset to correct.
#pragma once

#include <time.h>

#include <cstdint>

namespace tidecast::bench::latency {

// Microseconds since the Unix epoch (CLOCK_REALTIME).
inline int64_t wallMicros() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

}  // namespace tidecast::bench::latency
