// Fuzzes the AMF0 codec: bytes → decodeAmf0 (default limits, as the RTMP session uses them).
// Whatever decodes must re-encode to bytes that decode to as many values, and encoding is
// canonical: encoding the re-decoded values gives the same bytes again.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ingest/rtmp/amf0.h"

namespace {

using tidecast::ingest::rtmp::AmfValue;

std::string encodeAll(const std::vector<AmfValue>& values) {
  std::string out;
  for (const AmfValue& value : values) tidecast::ingest::rtmp::encodeAmf0(value, out);
  return out;
}

std::span<const uint8_t> bytesOf(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto first = tidecast::ingest::rtmp::decodeAmf0({data, size});
  if (!first.ok()) return 0;
  for (const AmfValue& value : *first) (void)value.toString();

  const std::string encoded = encodeAll(*first);
  auto second = tidecast::ingest::rtmp::decodeAmf0(bytesOf(encoded));
  if (!second.ok() || second->size() != first->size()) __builtin_trap();
  if (encodeAll(*second) != encoded) __builtin_trap();
  return 0;
}
