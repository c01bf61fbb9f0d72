// Finds latency stamps (see sei_stamp.h) in a byte stream handed over in pieces, as HTTP body
// bytes arrive or as MPEG-TS payloads are reassembled. The last bytes of a piece are carried
// over to the next, so a stamp split across pieces is found, once, when its last byte arrives.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace tidecast::bench::latency {

class StampScanner {
 public:
  using Found = std::function<void(int64_t stampMicros)>;

  // Scans `bytes`, which continue the bytes of the previous calls, and reports each stamp that
  // is complete now.
  void feed(std::span<const uint8_t> bytes, const Found& found);

  // Forgets the carried-over bytes: the next feed starts a new stream.
  void reset() { carry_.clear(); }

 private:
  std::vector<uint8_t> carry_;  // carried-over tail, then the current piece appended
};

}  // namespace tidecast::bench::latency
