// Gathers Slices into the iovecs that uv_try_write/uv_write take, without copying bytes, and
// keeps the Slices alive until the kernel has them. Used by TcpStream for every socket write.
#pragma once

#include <uv.h>

#include <cstddef>
#include <deque>
#include <vector>

#include "core/slice.h"

namespace tidecast::core {

class WriteBatch {
 public:
  void append(Slice slice);
  void append(const SliceList& slices);

  size_t bytes() const { return bytes_; }
  bool empty() const { return bytes_ == 0; }

  // iovecs for up to `maxBuffers` of the remaining slices, in order.
  std::vector<uv_buf_t> buffers(size_t maxBuffers = kMaxIovecs) const;

  // Drops the first `count` bytes (written by a partial write): fully written slices are
  // released, a partly written one is narrowed.
  void consume(size_t count);

  // Moves everything out (for handing to a uv_write request that owns the references).
  std::deque<Slice> take();

  static constexpr size_t kMaxIovecs = 1024;  // IOV_MAX on Linux

 private:
  std::deque<Slice> slices_;
  size_t bytes_ = 0;
};

}  // namespace tidecast::core
