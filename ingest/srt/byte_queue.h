// A bounded byte FIFO between two threads: the SRT thread appends what a publisher's socket
// received, the connection's demux thread reads it (blocking) through libavformat. Appending
// past the capacity fails instead of waiting: the SRT thread never blocks on one connection,
// it closes it. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace tidecast::ingest::srt {

class ByteQueue {
 public:
  explicit ByteQueue(size_t capacity) : capacity_(capacity) {}

  // False (nothing appended) when the bytes do not fit or the queue is closed.
  bool push(const uint8_t* data, size_t size);
  // Up to `max` bytes; waits while the queue is empty and open. 0 once closed and drained.
  size_t pop(uint8_t* out, size_t max);
  // Wakes the reader; later pushes fail. Pops drain what is left, unless `discard`.
  void close(bool discard);
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable readable_;
  std::deque<std::string> chunks_;
  size_t frontOffset_ = 0;
  size_t size_ = 0;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace tidecast::ingest::srt
