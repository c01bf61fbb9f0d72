#include "core/slice_writer.h"

#include <algorithm>
#include <utility>

namespace tidecast::core {

namespace {
// Storage kept between flushes. A burst (a new viewer's GOP replay) may need far more; that
// storage is given back once drained, so an idle viewer keeps little memory.
constexpr size_t kKeptCapacity = 32;

uv_buf_t iovecOf(const Slice& slice) {
  // libuv never writes through the base pointer; the cast only satisfies its C signature.
  return uv_buf_init(const_cast<char*>(slice.view().data()), static_cast<unsigned>(slice.size()));
}
}  // namespace

void WriteBatch::append(Slice slice) {
  if (slice.empty()) return;
  bytes_ += slice.size();
  slices_.push_back(std::move(slice));
}

void WriteBatch::append(const SliceList& slices) {
  for (const auto& slice : slices) append(slice);
}

const std::vector<uv_buf_t>& WriteBatch::iovecs(size_t maxBuffers) {
  iovecs_.clear();
  size_t end = std::min(slices_.size(), head_ + maxBuffers);
  for (size_t i = head_; i < end; ++i) iovecs_.push_back(iovecOf(slices_[i]));
  return iovecs_;
}

const std::vector<uv_buf_t>& WriteBatch::memoryIovecs(bool& fileFollows) {
  iovecs_.clear();
  fileFollows = false;
  size_t end = std::min(slices_.size(), head_ + kMaxIovecs);
  for (size_t i = head_; i < end; ++i) {
    if (slices_[i].fileSpan().fd >= 0) {
      fileFollows = true;
      break;
    }
    iovecs_.push_back(iovecOf(slices_[i]));
  }
  return iovecs_;
}

FileSpan WriteBatch::fileRun(size_t& length) const {
  length = 0;
  if (head_ == slices_.size()) return {};
  FileSpan first = slices_[head_].fileSpan();
  if (first.fd < 0) return first;
  for (size_t i = head_; i < slices_.size(); ++i) {
    FileSpan span = slices_[i].fileSpan();
    if (span.fd != first.fd || span.offset != first.offset + length) break;
    length += slices_[i].size();
  }
  return first;
}

std::vector<uv_buf_t> WriteBatch::buffers(size_t maxBuffers) const {
  std::vector<uv_buf_t> out;
  size_t end = std::min(slices_.size(), head_ + maxBuffers);
  for (size_t i = head_; i < end; ++i) out.push_back(iovecOf(slices_[i]));
  return out;
}

void WriteBatch::consume(size_t count) {
  count = std::min(count, bytes_);
  bytes_ -= count;
  while (count > 0) {
    Slice& front = slices_[head_];
    if (count < front.size()) {
      front = front.sub(count);
      break;
    }
    count -= front.size();
    front = Slice();  // release the reference now, not when the storage is reused
    ++head_;
  }
  if (head_ == slices_.size()) {
    head_ = 0;
    if (slices_.capacity() > kKeptCapacity) {
      std::vector<Slice>().swap(slices_);
      std::vector<uv_buf_t>().swap(iovecs_);
    } else {
      slices_.clear();  // keeps the capacity for the next turn
    }
  } else if (head_ > 64 && head_ * 2 > slices_.size()) {
    // Partial writes forever behind new appends: drop the written prefix so storage is bounded.
    slices_.erase(slices_.begin(), slices_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

std::vector<Slice> WriteBatch::take() {
  slices_.erase(slices_.begin(), slices_.begin() + static_cast<std::ptrdiff_t>(head_));
  head_ = 0;
  bytes_ = 0;
  return std::exchange(slices_, {});
}

}  // namespace tidecast::core
