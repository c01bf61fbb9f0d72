#include "ingest/srt/loop_inbox.h"

#include <chrono>

namespace tidecast::ingest::srt {

namespace {
constexpr auto kRecheckInterval = std::chrono::milliseconds(50);
}

LoopInbox::LoopInbox(core::Loop& loop, size_t capacity)
    : capacity_(capacity), async_(loop, [this] { drain(); }) {
  // The listener's own shutdown ends the server's life; this handle must not keep it alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(async_.raw()));
}

LoopInbox::~LoopInbox() { close(); }

bool LoopInbox::tryPost(std::function<void()> fn) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || queue_.size() >= capacity_) return false;
    queue_.push_back(std::move(fn));
    async_.send();  // under the lock: close() cannot free the handle meanwhile
  }
  return true;
}

bool LoopInbox::post(std::function<void()> fn, const std::atomic<bool>& cancel) {
  {
    std::unique_lock lock(mutex_);
    while (!closed_ && queue_.size() >= capacity_) {
      if (cancel.load()) return false;
      room_.wait_for(lock, kRecheckInterval);
    }
    if (closed_ || cancel.load()) return false;
    queue_.push_back(std::move(fn));
    async_.send();  // under the lock: close() cannot free the handle meanwhile
  }
  return true;
}

void LoopInbox::wakeWaiters() { room_.notify_all(); }

void LoopInbox::close() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    dropped.swap(queue_);
  }
  room_.notify_all();
  std::lock_guard lock(mutex_);
  async_.close();
}

size_t LoopInbox::size() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void LoopInbox::drain() {
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    batch.swap(queue_);
  }
  room_.notify_all();
  for (auto& fn : batch) {
    fn();
    std::lock_guard lock(mutex_);
    if (closed_) return;
  }
}

}  // namespace tidecast::ingest::srt
