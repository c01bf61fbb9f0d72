#include "core/media/nal_units.h"

#include "core/media/bit_reader.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

std::optional<ByteSpan> LengthPrefixedNalReader::next() {
  if (failed_ || pos_ == data_.size()) return std::nullopt;
  if (lengthSize_ < 1 || lengthSize_ > 4 || data_.size() - pos_ < lengthSize_) {
    failed_ = true;
    return std::nullopt;
  }
  size_t length = 0;
  for (unsigned i = 0; i < lengthSize_; ++i) length = (length << 8) | data_[pos_ + i];
  pos_ += lengthSize_;
  if (length > data_.size() - pos_) {
    failed_ = true;
    return std::nullopt;
  }
  ByteSpan nal = data_.subspan(pos_, length);
  pos_ += length;
  return nal;
}

namespace {

// Index of the first 00 00 01 at or after `from`, or data.size().
size_t findStartCode(ByteSpan data, size_t from) {
  for (size_t i = from; i + 3 <= data.size(); ++i) {
    if (data[i + 2] > 1) {
      i += 2;  // no start code can begin at i, i + 1 or i + 2
    } else if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      return i;
    }
  }
  return data.size();
}

}  // namespace

std::optional<ByteSpan> AnnexBNalReader::next() {
  while (pos_ < data_.size()) {
    const size_t code = findStartCode(data_, pos_);
    if (code == data_.size()) break;
    const size_t begin = code + 3;
    size_t end = findStartCode(data_, begin);
    pos_ = end;
    while (end > begin && data_[end - 1] == 0) --end;  // trailing_zero_8bits, 4-byte codes
    if (end > begin) return data_.subspan(begin, end - begin);
  }
  pos_ = data_.size();
  return std::nullopt;
}

bool readParameterSetArray(BitReader& reader, unsigned count, std::vector<Bytes>& out) {
  for (unsigned i = 0; i < count; ++i) {
    const uint16_t length = reader.readU16();
    ByteSpan nal = reader.readBytes(length);
    if (!reader.ok()) return false;
    if (length > 0) out.emplace_back(nal.begin(), nal.end());
  }
  return reader.ok();
}

bool appendParameterSetArray(Bytes& out, const std::vector<ByteSpan>& units) {
  for (ByteSpan nal : units) {
    if (nal.empty() || nal.size() > UINT16_MAX) return false;
    appendU16(out, static_cast<uint32_t>(nal.size()));
    appendBytes(out, nal);
  }
  return true;
}

Bytes annexBToLengthPrefixed(ByteSpan annexB) {
  Bytes out;
  out.reserve(annexB.size() + 16);
  AnnexBNalReader reader(annexB);
  while (auto nal = reader.next()) {
    appendU32(out, static_cast<uint32_t>(nal->size()));
    appendBytes(out, *nal);
  }
  return out;
}

Result<Bytes> lengthPrefixedToAnnexB(ByteSpan data, unsigned nalLengthSize) {
  if (nalLengthSize < 1 || nalLengthSize > 4) {
    return invalidError("NAL length size must be 1 to 4");
  }
  Bytes out;
  out.reserve(data.size() + 16);
  LengthPrefixedNalReader reader(data, nalLengthSize);
  while (auto nal = reader.next()) {
    appendU32(out, 1);
    appendBytes(out, *nal);
  }
  if (reader.failed()) return truncatedError("NAL unit length runs past the data");
  return out;
}

}  // namespace tidecast::core::media
