// MPEG-TS bytes for one SRT player, from the loop (which muxes them) to the SRT thread
// (which sends them). The loop reads pendingBytes() for its backlog policy: a player whose
// bytes pile up is skipped ahead and then dropped like every other player. Thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>

#include "core/slice.h"

namespace tidecast::ingest::srt {

inline constexpr size_t kSrtLivePayloadBytes = 1316;  // 7 TS packets per SRT message

class Outbox {
 public:
  void push(core::Slice bytes);  // loop
  size_t pendingBytes() const { return pending_.load(std::memory_order_relaxed); }

  // SRT thread: offers up to kSrtLivePayloadBytes at a time to `send`, which returns the bytes
  // taken (all or nothing) or a negative number when the socket takes no more now.
  template <class Send>
  int drain(Send&& send) {
    for (;;) {
      core::Slice front;
      size_t offset = 0;
      {
        std::lock_guard lock(mutex_);
        if (queue_.empty()) return 0;
        front = queue_.front();
        offset = offset_;
      }
      size_t n = std::min(kSrtLivePayloadBytes, front.size() - offset);
      int rc = send(front.data() + offset, n);
      if (rc < 0) return rc;
      std::lock_guard lock(mutex_);
      offset_ += n;
      if (offset_ >= front.size()) {
        queue_.pop_front();
        offset_ = 0;
      }
      pending_.fetch_sub(n, std::memory_order_relaxed);
    }
  }

 private:
  std::mutex mutex_;
  std::deque<core::Slice> queue_;
  size_t offset_ = 0;
  std::atomic<size_t> pending_{0};
};

}  // namespace tidecast::ingest::srt
