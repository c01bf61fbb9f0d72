// Work handed to a loop from other threads (the SRT thread, demux threads, libsrt's
// handshake callback): a bounded queue of closures plus a uv_async_t that runs them on the
// loop, in order. tryPost() fails when the queue is full; post() waits for room (for demux
// threads, where blocking is allowed) until the queue is closed or `cancel` is set.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

#include "core/loop.h"

namespace tidecast::ingest::srt {

class LoopInbox {
 public:
  LoopInbox(core::Loop& loop, size_t capacity);
  ~LoopInbox();

  // Any thread.
  bool tryPost(std::function<void()> fn);
  bool post(std::function<void()> fn, const std::atomic<bool>& cancel);
  // Wakes waiters in post() (they re-check `cancel`). Any thread.
  void wakeWaiters();
  // Loop thread: no closure runs after this; posts fail.
  void close();
  size_t size() const;

 private:
  void drain();

  mutable std::mutex mutex_;
  std::condition_variable room_;
  std::deque<std::function<void()>> queue_;
  size_t capacity_;
  bool closed_ = false;
  core::Async async_;
};

}  // namespace tidecast::ingest::srt
