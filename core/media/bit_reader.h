// MSB-first bit reader for codec syntax (H.264/HEVC parameter sets, AV1 OBUs, AAC configs)
// and byte-aligned records (avcC, hvcC, FLV tag headers).
//
// Reads never go past the span. The first read that would fails the reader: it returns 0
// from then on and ok() stays false, so a parser reads a whole structure and checks ok()
// where a value matters, without a branch after every field. The reader borrows the bytes;
// it must not outlive them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/media/bytes.h"

namespace tidecast::core::media {

class BitReader {
 public:
  explicit BitReader(ByteSpan bytes) : bytes_(bytes) {}

  // Up to 32 bits, most significant first.
  uint32_t readBits(unsigned count);
  bool readFlag() { return readBits(1) != 0; }
  uint8_t readU8() { return static_cast<uint8_t>(readBits(8)); }
  uint16_t readU16() { return static_cast<uint16_t>(readBits(16)); }
  uint32_t readU24() { return readBits(24); }
  uint32_t readU32() { return readBits(32); }
  uint64_t readU64Bits(unsigned count);  // up to 64 bits

  // Exp-Golomb codes (H.264/HEVC ue(v), se(v)). More than 31 leading zero bits fails.
  uint32_t readUe();
  int32_t readSe();
  // AV1 uvlc(): more than 31 leading zeros fails. leb128(): at most 8 bytes, < 2^32.
  uint32_t readUvlc();
  uint32_t readLeb128();

  void skipBits(size_t count);
  // Byte-aligned only: `count` whole bytes, borrowed from the input. Empty on failure.
  ByteSpan readBytes(size_t count);
  void skipBytes(size_t count) { (void)readBytes(count); }
  // The bytes after the current (byte-aligned) position.
  ByteSpan rest() const;

  bool ok() const { return !failed_; }
  void fail() { failed_ = true; }
  bool byteAligned() const { return bitPos_ % 8 == 0; }
  size_t bitsLeft() const { return failed_ ? 0 : bytes_.size() * 8 - bitPos_; }
  size_t bytesLeft() const { return bitsLeft() / 8; }
  size_t bitPosition() const { return bitPos_; }

 private:
  ByteSpan bytes_;
  size_t bitPos_ = 0;
  bool failed_ = false;
};

// Removes emulation prevention bytes (the 0x03 in 0x000003) from a NAL unit, giving its
// RBSP. H.264 and HEVC share the rule.
Bytes unescapeRbsp(ByteSpan nal);

}  // namespace tidecast::core::media
