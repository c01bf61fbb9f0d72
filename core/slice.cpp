#include "core/slice.h"

#include <algorithm>
#include <cstring>

namespace tidecast::core {

Slice Slice::copyOf(const void* data, size_t size) {
  if (size == 0) return Slice();
  SliceBuilder builder(size);
  builder.append(data, size);
  return builder.finish();
}

Slice Slice::fromString(std::string&& text) {
  if (text.empty()) return Slice();
  auto owner = std::make_shared<const std::string>(std::move(text));
  const auto* bytes = reinterpret_cast<const uint8_t*>(owner->data());
  size_t size = owner->size();
  return Slice(std::move(owner), bytes, size);
}

Slice Slice::fromStatic(std::string_view text) {
  return Slice(nullptr, reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

struct Slice::MirrorOwner {
  std::shared_ptr<const void> memory;  // keeps the bytes in memory alive
  std::shared_ptr<const FileRegion> region;
  const uint8_t* base;  // memory address of file offset `fileOffset`
  uint64_t fileOffset;
};

Slice Slice::mirrored(const Slice& memory, std::shared_ptr<const FileRegion> region,
                      uint64_t fileOffset) {
  if (memory.empty() || !region) return memory;
  auto owner = std::make_shared<const MirrorOwner>(
      MirrorOwner{memory.memoryOnly().owner_, std::move(region), memory.data_, fileOffset});
  return Slice(std::move(owner), memory.data_, memory.size() | kMirroredBit);
}

FileSpan Slice::fileSpan() const {
  if ((size_ & kMirroredBit) == 0) return {};
  const auto* mirror = static_cast<const MirrorOwner*>(owner_.get());
  return {mirror->region->fd(), mirror->fileOffset + static_cast<uint64_t>(data_ - mirror->base)};
}

Slice Slice::memoryOnly() const {
  if ((size_ & kMirroredBit) == 0) return *this;
  const auto* mirror = static_cast<const MirrorOwner*>(owner_.get());
  return Slice(mirror->memory, data_, size());
}

Slice Slice::sub(size_t offset, size_t length) const {
  size_t size = this->size();
  offset = std::min(offset, size);
  length = std::min(length, size - offset);
  return Slice(owner_, data_ + offset, length | (size_ & kMirroredBit));
}

size_t totalSize(const SliceList& slices) {
  size_t total = 0;
  for (const auto& slice : slices) total += slice.size();
  return total;
}

SliceBuilder::SliceBuilder(size_t capacity)
    : block_(capacity ? std::make_shared_for_overwrite<uint8_t[]>(capacity) : nullptr),
      capacity_(capacity) {}

size_t SliceBuilder::append(const void* bytes, size_t count) {
  count = std::min(count, remaining());
  if (count) std::memcpy(block_.get() + size_, bytes, count);
  size_ += count;
  return count;
}

void SliceBuilder::commit(size_t count) { size_ += std::min(count, remaining()); }

Slice SliceBuilder::finish() {
  if (size_ == 0) {
    block_.reset();
    capacity_ = 0;
    return Slice();
  }
  const uint8_t* bytes = block_.get();
  Slice slice(std::shared_ptr<const void>(std::move(block_)), bytes, size_);
  size_ = 0;
  capacity_ = 0;
  return slice;
}

}  // namespace tidecast::core
