// ISO BMFF box serialisation (ISO/IEC 14496-12 4.2): big-endian fields appended to a byte
// buffer, boxes opened and closed with their 32-bit size patched in at close. Used for the
// small structural boxes (init segments, moof); media payload never passes through here.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/media/bytes.h"
#include "core/slice.h"

namespace tidecast::delivery::cmaf {

class BoxWriter {
 public:
  BoxWriter() { out_.reserve(256); }

  // Opens a box (`type` is four characters); returns its offset for close().
  size_t open(std::string_view type);
  // A full box: version and 24-bit flags follow the header.
  size_t openFull(std::string_view type, uint8_t version, uint32_t flags);
  void close(size_t offset);

  void u8(uint32_t v) { core::media::appendU8(out_, v); }
  void u16(uint32_t v) { core::media::appendU16(out_, v); }
  void u24(uint32_t v) { core::media::appendU24(out_, v); }
  void u32(uint32_t v) { core::media::appendU32(out_, v); }
  void u64(uint64_t v);
  void fourcc(std::string_view code);
  void bytes(core::media::ByteSpan data) { core::media::appendBytes(out_, data); }
  void zeros(size_t count) { out_.insert(out_.end(), count, 0); }
  // Overwrites a 32-bit field written earlier (trun data_offset once moof's size is known).
  void patchU32(size_t offset, uint32_t v);

  size_t size() const { return out_.size(); }
  const core::media::Bytes& bytes() const { return out_; }
  core::Slice finish() const { return core::Slice::copyOf(out_.data(), out_.size()); }

 private:
  core::media::Bytes out_;
};

}  // namespace tidecast::delivery::cmaf
