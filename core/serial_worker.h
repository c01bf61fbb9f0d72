// Runs blocking jobs (SQLite writes, file reads) off the loop thread, one at a time and in
// order, on libuv's thread pool; each job's `done` runs back on the loop. Jobs queued when
// the worker is destroyed are dropped; one already running finishes, and its `done` is not
// called. Loop thread only (except `work`, which runs on a pool thread).
#pragma once

#include <uv.h>

#include <deque>
#include <functional>
#include <memory>

#include "core/loop.h"

namespace tidecast::core {

class SerialWorker {
 public:
  explicit SerialWorker(Loop& loop) : loop_(loop), alive_(std::make_shared<bool>(true)) {}
  ~SerialWorker() { *alive_ = false; }
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  void post(std::function<void()> work, std::function<void()> done);
  size_t pending() const { return queue_.size() + (running_ ? 1 : 0); }

 private:
  struct Job;
  void startNext();

  Loop& loop_;
  std::shared_ptr<bool> alive_;  // tells a finishing job whether its worker still exists
  std::deque<std::pair<std::function<void()>, std::function<void()>>> queue_;
  bool running_ = false;
};

}  // namespace tidecast::core
