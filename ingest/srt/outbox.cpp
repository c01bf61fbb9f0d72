#include "ingest/srt/outbox.h"

namespace tidecast::ingest::srt {

void Outbox::push(core::Slice bytes) {
  if (bytes.empty()) return;
  size_t size = bytes.size();
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(bytes));
  pending_.fetch_add(size, std::memory_order_relaxed);
}

}  // namespace tidecast::ingest::srt
