#include "delivery/cmaf/box_writer.h"

namespace tidecast::delivery::cmaf {

size_t BoxWriter::open(std::string_view type) {
  size_t offset = out_.size();
  u32(0);
  fourcc(type);
  return offset;
}

size_t BoxWriter::openFull(std::string_view type, uint8_t version, uint32_t flags) {
  size_t offset = open(type);
  u8(version);
  u24(flags);
  return offset;
}

void BoxWriter::close(size_t offset) {
  patchU32(offset, static_cast<uint32_t>(out_.size() - offset));
}

void BoxWriter::u64(uint64_t v) {
  u32(static_cast<uint32_t>(v >> 32));
  u32(static_cast<uint32_t>(v));
}

void BoxWriter::fourcc(std::string_view code) {
  for (size_t i = 0; i < 4; ++i) u8(i < code.size() ? static_cast<uint8_t>(code[i]) : ' ');
}

void BoxWriter::patchU32(size_t offset, uint32_t v) {
  out_[offset] = static_cast<uint8_t>(v >> 24);
  out_[offset + 1] = static_cast<uint8_t>(v >> 16);
  out_[offset + 2] = static_cast<uint8_t>(v >> 8);
  out_[offset + 3] = static_cast<uint8_t>(v);
}

}  // namespace tidecast::delivery::cmaf
