// Runs a test's loop until a condition holds, bounded by a deadline. A referenced timer keeps
// the loop alive meanwhile (the Redis connections' handles are unreferenced).
#pragma once

#include <cstdint>

#include "core/loop.h"

namespace tidecast::social::store::testing {

template <class Pred>
bool spin(core::Loop& loop, Pred done, uint64_t deadlineMs = 10000) {
  bool expired = false;
  core::Timer deadline(loop);
  deadline.start(deadlineMs, 0, [&] { expired = true; });
  while (!done() && !expired) uv_run(loop.raw(), UV_RUN_ONCE);
  deadline.stop();
  return done();
}

}  // namespace tidecast::social::store::testing
