// Helpers for the core/media tests: building synthetic bitstreams field by field and
// checking zero-copy slices.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include <string>

#include "core/result.h"
#include "core/slice.h"

namespace tidecast::core::media::testutil {

// MSB-first bit writer, the mirror of BitReader, for hand-built syntax structures.
class BitWriter {
 public:
  BitWriter& bits(uint64_t value, unsigned count) {
    for (unsigned i = count; i > 0; --i) bit((value >> (i - 1)) & 1);
    return *this;
  }
  BitWriter& bit(bool value) {
    if (used_ % 8 == 0) bytes_.push_back(0);
    if (value) bytes_.back() |= static_cast<uint8_t>(0x80 >> (used_ % 8));
    ++used_;
    return *this;
  }
  BitWriter& ue(uint32_t value) {  // exp-Golomb
    const uint64_t code = uint64_t{value} + 1;
    unsigned length = 0;
    while ((code >> length) > 1) ++length;
    bits(0, length);
    return bits(code, length + 1);
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  size_t used_ = 0;
};

// The error code of a result, or "ok": safe to compare whatever the outcome.
template <class T>
std::string errorCode(const Result<T>& result) {
  return result.ok() ? "ok" : result.error().code;
}

inline Slice sliceOf(std::span<const uint8_t> bytes) {
  return Slice::copyOf(bytes.data(), bytes.size());
}

inline Slice sliceOf(std::initializer_list<uint8_t> bytes) {
  return Slice::copyOf(std::data(bytes), bytes.size());
}

inline std::vector<uint8_t> concat(std::initializer_list<std::span<const uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (auto part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// True when `part` lies inside `whole`'s bytes (a sub-slice, not a copy).
inline bool pointsInto(const Slice& part, const Slice& whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

inline std::vector<uint8_t> bytesOf(const Slice& slice) {
  return {slice.data(), slice.data() + slice.size()};
}

}  // namespace tidecast::core::media::testutil
