#include "core/media/bit_reader.h"

namespace tidecast::core::media {

uint32_t BitReader::readBits(unsigned count) {
  if (count > 32 || count > bitsLeft()) {
    failed_ = true;
    return 0;
  }
  uint32_t value = 0;
  while (count > 0) {
    const size_t byteIndex = bitPos_ / 8;
    const unsigned bitOffset = bitPos_ % 8;
    const unsigned available = 8 - bitOffset;
    const unsigned take = count < available ? count : available;
    const uint32_t bits = (bytes_[byteIndex] >> (available - take)) & ((1u << take) - 1);
    value = static_cast<uint32_t>((static_cast<uint64_t>(value) << take) | bits);
    bitPos_ += take;
    count -= take;
  }
  return value;
}

uint64_t BitReader::readU64Bits(unsigned count) {
  if (count > 64) {
    failed_ = true;
    return 0;
  }
  const unsigned high = count > 32 ? count - 32 : 0;
  const uint64_t top = readBits(high);
  return (top << (count - high)) | readBits(count - high);
}

uint32_t BitReader::readUe() {
  unsigned leadingZeros = 0;
  while (ok() && !readFlag()) {
    if (++leadingZeros > 31) {
      failed_ = true;
      return 0;
    }
  }
  if (!ok()) return 0;
  const uint64_t value = (uint64_t{1} << leadingZeros) - 1 + readBits(leadingZeros);
  return ok() ? static_cast<uint32_t>(value) : 0;
}

int32_t BitReader::readSe() {
  const uint32_t code = readUe();
  // 0, 1, -1, 2, -2, ...: odd codes are positive. code <= 2^32 - 2, so both fit int32.
  if (code % 2 == 1) return static_cast<int32_t>((code / 2) + 1);
  return -static_cast<int32_t>(code / 2);
}

uint32_t BitReader::readUvlc() { return readUe(); }

uint32_t BitReader::readLeb128() {
  uint64_t value = 0;
  for (unsigned i = 0; i < 8; ++i) {
    const uint8_t byte = readU8();
    value |= static_cast<uint64_t>(byte & 0x7f) << (i * 7);
    if (!(byte & 0x80)) {
      if (value > UINT32_MAX) break;
      return ok() ? static_cast<uint32_t>(value) : 0;
    }
  }
  failed_ = true;
  return 0;
}

void BitReader::skipBits(size_t count) {
  if (count > bitsLeft()) {
    failed_ = true;
    return;
  }
  bitPos_ += count;
}

ByteSpan BitReader::readBytes(size_t count) {
  if (!byteAligned() || count > bytesLeft()) {
    failed_ = true;
    return {};
  }
  ByteSpan out = bytes_.subspan(bitPos_ / 8, count);
  bitPos_ += count * 8;
  return out;
}

ByteSpan BitReader::rest() const {
  if (failed_ || !byteAligned()) return {};
  return bytes_.subspan(bitPos_ / 8);
}

Bytes unescapeRbsp(ByteSpan nal) {
  Bytes out;
  out.reserve(nal.size());
  unsigned zeros = 0;
  for (uint8_t byte : nal) {
    if (zeros >= 2 && byte == 0x03) {
      zeros = 0;  // emulation prevention byte: drop it
      continue;
    }
    out.push_back(byte);
    zeros = byte == 0 ? zeros + 1 : 0;
  }
  return out;
}

}  // namespace tidecast::core::media
