// Fuzz target: FLV tag bodies through parseFlvVideoTag/AudioTag/DataTag (the first byte picks
// which) must give a packet or a media.* error, never a crash. A packet's header and data
// must lie inside the body (zero copy), and a packet must survive makeFlvHeader: header +
// data parses back to the same packet.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/media/flv_tag.h"

namespace {

using tidecast::core::Result;
using tidecast::core::Slice;
using namespace tidecast::core::media;

Result<MediaPacket> parse(unsigned kind, const Slice& body) {
  if (kind == 0) return parseFlvVideoTag(body, 1000);
  if (kind == 1) return parseFlvAudioTag(body, 1000);
  return parseFlvDataTag(body, 1000);
}

bool inside(const Slice& part, const Slice& whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool samePacket(const MediaPacket& a, const MediaPacket& b) {
  return a.track == b.track && a.codec == b.codec && a.dts == b.dts && a.cts == b.cts &&
         a.keyframe == b.keyframe && a.config == b.config && a.endOfSequence == b.endOfSequence &&
         a.data.view() == b.data.view();
}

void checkRoundTrip(unsigned kind, const MediaPacket& packet) {
  const Slice header = makeFlvHeader(packet);
  std::vector<uint8_t> body(header.data(), header.data() + header.size());
  body.insert(body.end(), packet.data.data(), packet.data.data() + packet.data.size());
  Result<MediaPacket> again = parse(kind, Slice::copyOf(body.data(), body.size()));
  if (!again.ok() || !samePacket(packet, *again)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const unsigned kind = data[0] % 3;
  const Slice body = Slice::copyOf(data + 1, size - 1);
  Result<MediaPacket> packet = parse(kind, body);
  if (!packet.ok()) {
    const auto& code = packet.error().code;
    if (code.rfind("media.", 0) != 0 || packet.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (!inside(packet->data, body) || !inside(packet->flvHeader, body)) __builtin_trap();
  if (packet->flvHeader.size() + packet->data.size() != body.size()) __builtin_trap();
  if (kind != 2) checkRoundTrip(kind, *packet);
  return 0;
}
