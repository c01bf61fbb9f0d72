#include "core/slice_writer.h"

#include <algorithm>
#include <utility>

namespace tidecast::core {

void WriteBatch::append(Slice slice) {
  if (slice.empty()) return;
  bytes_ += slice.size();
  slices_.push_back(std::move(slice));
}

void WriteBatch::append(const SliceList& slices) {
  for (const auto& slice : slices) append(slice);
}

std::vector<uv_buf_t> WriteBatch::buffers(size_t maxBuffers) const {
  std::vector<uv_buf_t> out;
  out.reserve(std::min(maxBuffers, slices_.size()));
  for (const auto& slice : slices_) {
    if (out.size() == maxBuffers) break;
    // libuv never writes through the base pointer; the cast only satisfies its C signature.
    out.push_back(uv_buf_init(const_cast<char*>(slice.view().data()),
                              static_cast<unsigned int>(slice.size())));
  }
  return out;
}

void WriteBatch::consume(size_t count) {
  count = std::min(count, bytes_);
  bytes_ -= count;
  while (count > 0) {
    Slice& front = slices_.front();
    if (count < front.size()) {
      front = front.sub(count);
      return;
    }
    count -= front.size();
    slices_.pop_front();
  }
}

std::deque<Slice> WriteBatch::take() {
  bytes_ = 0;
  return std::exchange(slices_, {});
}

}  // namespace tidecast::core
