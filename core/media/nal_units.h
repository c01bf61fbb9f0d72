// NAL unit framing shared by H.264 and HEVC: the length-prefixed form used by avcC/hvcC,
// FLV and fMP4, and the Annex B byte stream (start codes) used by MPEG-TS and raw files.
#pragma once

#include <cstddef>
#include <optional>

#include <vector>

#include "core/media/bytes.h"
#include "core/result.h"

namespace tidecast::core::media {

// Walks NAL units each preceded by a big-endian length of nalLengthSize (1–4) bytes.
// Borrows the bytes.
class LengthPrefixedNalReader {
 public:
  LengthPrefixedNalReader(ByteSpan data, unsigned nalLengthSize)
      : data_(data), lengthSize_(nalLengthSize) {}

  // The next NAL unit, or nullopt at the end or when the framing is broken (a length
  // running past the data, a bad length size); failed() tells the two apart.
  std::optional<ByteSpan> next();
  bool failed() const { return failed_; }

 private:
  ByteSpan data_;
  size_t pos_ = 0;
  unsigned lengthSize_;
  bool failed_ = false;
};

// Walks the NAL units of an Annex B byte stream (00 00 01 / 00 00 00 01 start codes).
// Bytes before the first start code are skipped; trailing zero bytes are not part of a NAL.
class AnnexBNalReader {
 public:
  explicit AnnexBNalReader(ByteSpan data) : data_(data) {}
  std::optional<ByteSpan> next();

 private:
  ByteSpan data_;
  size_t pos_ = 0;
};

class BitReader;

// Parameter set arrays of avcC/hvcC: `count` entries of u16 length + NAL unit, appended to
// `out` as copies (empty entries skipped). False when the reader runs out.
bool readParameterSetArray(BitReader& reader, unsigned count, std::vector<Bytes>& out);
// The writing side: u16 length + NAL unit per entry. False if a unit is empty or > 65535.
bool appendParameterSetArray(Bytes& out, const std::vector<ByteSpan>& units);

// Annex B -> 4-byte length prefixes. Empty when the input holds no NAL unit.
Bytes annexBToLengthPrefixed(ByteSpan annexB);
// Length prefixes -> 4-byte start codes. Fails (media.truncated / media.invalid) on broken
// framing.
Result<Bytes> lengthPrefixedToAnnexB(ByteSpan data, unsigned nalLengthSize);

}  // namespace tidecast::core::media
