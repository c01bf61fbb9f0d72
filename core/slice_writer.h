// Gathers Slices into the iovecs that uv_try_write/uv_write take, without copying bytes, and
// keeps the Slices alive until the kernel has them. Used by TcpStream for every socket write.
#pragma once

#include <uv.h>

#include <cstddef>
#include <vector>

#include "core/slice.h"

namespace tidecast::core {

class WriteBatch {
 public:
  void append(Slice slice);
  void append(const SliceList& slices);

  size_t bytes() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

  // iovecs for up to `maxBuffers` of the remaining slices, in order, in a vector this batch
  // reuses (valid until the next call): the hot path allocates nothing per flush.
  const std::vector<uv_buf_t>& iovecs(size_t maxBuffers = kMaxIovecs);
  // The same, stopping before the first Slice mirrored in a file (sent with sendfile).
  // `fileFollows` tells whether such a Slice comes right after them.
  const std::vector<uv_buf_t>& memoryIovecs(bool& fileFollows);
  // When the next bytes are mirrored in a file: that file position and how many bytes of it
  // follow contiguously (across Slices). fd -1 otherwise.
  FileSpan fileRun(size_t& length) const;
  // The same as a copy, for callers holding a const batch.
  std::vector<uv_buf_t> buffers(size_t maxBuffers = kMaxIovecs) const;

  // Drops the first `count` bytes (written by a partial write): fully written slices are
  // released at once, a partly written one is narrowed.
  void consume(size_t count);

  // Moves the remaining slices out (for a uv_write request that owns the references).
  std::vector<Slice> take();

  static constexpr size_t kMaxIovecs = 1024;  // IOV_MAX on Linux

 private:
  // slices_[head_..] are pending; written ones before head_ are already released. Storage is
  // kept between flushes (a vector reused as a queue, not a deque allocating nodes).
  std::vector<Slice> slices_;
  size_t head_ = 0;
  size_t bytes_ = 0;
  std::vector<uv_buf_t> iovecs_;
};

}  // namespace tidecast::core
