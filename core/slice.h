// Shared immutable bytes. A Block is allocated once (usually at ingest) and never changes
// after it is frozen; a Slice is a view into one, holding a reference. Copying a Slice copies
// a pointer and bumps a reference count: that is how one media payload reaches thousands of
// sockets without being copied again. Reference counts are atomic, so Slices may cross
// threads (transcode workers, other loops); the bytes themselves are never written after
// SliceBuilder::finish().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tidecast::core {

// Bytes that also lie in a file (a memfd the CMAF packager fills), so a socket write can
// hand them to the kernel with sendfile(2) instead of copying them from memory.
class FileRegion {
 public:
  virtual ~FileRegion() = default;
  virtual int fd() const = 0;
};

struct FileSpan {
  int fd = -1;  // -1: memory only
  uint64_t offset = 0;
};

class Slice {
 public:
  static constexpr size_t npos = static_cast<size_t>(-1);

  Slice() = default;

  // One allocation holding a copy of the bytes.
  static Slice copyOf(const void* data, size_t size);
  static Slice copyOf(std::string_view text) { return copyOf(text.data(), text.size()); }
  // Takes ownership of the string's buffer: no copy of the bytes.
  static Slice fromString(std::string&& text);
  // Bytes with static storage duration (string literals): no allocation, no reference count.
  static Slice fromStatic(std::string_view text);

  // `memory`, whose bytes are also in `region`'s file from `fileOffset` on. The region stays
  // alive (and its file bytes valid) as long as any Slice of it does.
  static Slice mirrored(const Slice& memory, std::shared_ptr<const FileRegion> region,
                        uint64_t fileOffset);

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_ & kSizeMask; }
  bool empty() const { return size() == 0; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data_), size()}; }
  std::span<const uint8_t> span() const { return {data_, size()}; }
  // Where the bytes lie in a file too (fd -1 when they do not).
  FileSpan fileSpan() const;
  // The same bytes without the file mirror (lets the mirror's file region go).
  Slice memoryOnly() const;

  // A view of [offset, offset + length) sharing this Slice's block. Clamped to the slice.
  Slice sub(size_t offset, size_t length = npos) const;

  // Number of Slices sharing the block (0 for static or empty slices). For tests and stats.
  long useCount() const { return owner_.use_count(); }

 private:
  // The top bit of size_ marks a mirrored Slice (owner_ is then a MirrorOwner): Slices stay
  // 32 bytes, as they are copied once per viewer and packet.
  static constexpr size_t kMirroredBit = size_t{1} << (sizeof(size_t) * 8 - 1);
  static constexpr size_t kSizeMask = ~kMirroredBit;
  struct MirrorOwner;

  Slice(std::shared_ptr<const void> owner, const uint8_t* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}
  friend class SliceBuilder;

  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

using SliceList = std::vector<Slice>;

size_t totalSize(const SliceList& slices);

// Fills one block, then freezes it into a Slice. The block is allocated once with the given
// capacity (no zero-fill) and never grows: callers know their sizes (a message length, a
// part size) before they start writing.
class SliceBuilder {
 public:
  explicit SliceBuilder(size_t capacity);

  uint8_t* data() { return block_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t remaining() const { return capacity_ - size_; }

  // Appends up to remaining() bytes; returns how many were appended.
  size_t append(const void* bytes, size_t count);
  // Marks `count` more bytes (written through data() + size()) as filled.
  void commit(size_t count);

  // Freezes the filled part into a Slice. The builder is empty afterwards.
  Slice finish();

 private:
  std::shared_ptr<uint8_t[]> block_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace tidecast::core
