#include "ingest/srt/byte_queue.h"

#include <algorithm>
#include <cstring>

namespace tidecast::ingest::srt {

bool ByteQueue::push(const uint8_t* data, size_t size) {
  {
    std::lock_guard lock(mutex_);
    if (closed_ || size_ + size > capacity_) return false;
    chunks_.emplace_back(reinterpret_cast<const char*>(data), size);
    size_ += size;
  }
  readable_.notify_one();
  return true;
}

size_t ByteQueue::pop(uint8_t* out, size_t max) {
  std::unique_lock lock(mutex_);
  readable_.wait(lock, [this] { return size_ > 0 || closed_; });
  size_t copied = 0;
  while (copied < max && !chunks_.empty()) {
    const std::string& front = chunks_.front();
    size_t n = std::min(max - copied, front.size() - frontOffset_);
    std::memcpy(out + copied, front.data() + frontOffset_, n);
    copied += n;
    frontOffset_ += n;
    if (frontOffset_ == front.size()) {
      chunks_.pop_front();
      frontOffset_ = 0;
    }
  }
  size_ -= copied;
  return copied;
}

void ByteQueue::close(bool discard) {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    if (discard) {
      chunks_.clear();
      frontOffset_ = 0;
      size_ = 0;
    }
  }
  readable_.notify_all();
}

size_t ByteQueue::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

}  // namespace tidecast::ingest::srt
