// Byte vocabulary of the media parsers: borrowed spans, owned vectors, and the big-endian
// writers the configuration builders and FLV header writer share.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tidecast::core::media {

using ByteSpan = std::span<const uint8_t>;
using Bytes = std::vector<uint8_t>;

inline void appendU8(Bytes& out, uint32_t value) { out.push_back(static_cast<uint8_t>(value)); }
inline void appendU16(Bytes& out, uint32_t value) {
  appendU8(out, value >> 8);
  appendU8(out, value);
}
inline void appendU24(Bytes& out, uint32_t value) {
  appendU8(out, value >> 16);
  appendU16(out, value);
}
inline void appendU32(Bytes& out, uint32_t value) {
  appendU16(out, value >> 16);
  appendU16(out, value);
}
inline void appendBytes(Bytes& out, ByteSpan bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace tidecast::core::media
