#include "delivery/flv/flv_writer.h"

#include "api/http_response.h"

namespace tidecast::delivery::flv {

namespace {
constexpr size_t kTagHeaderBytes = 11;
constexpr size_t kPreviousSizeBytes = 4;

uint8_t tagType(const core::media::MediaPacket& packet) {
  switch (packet.track) {
    case core::media::TrackType::kAudio:
      return 8;
    case core::media::TrackType::kVideo:
      return 9;
    case core::media::TrackType::kData:
      return 18;
  }
  return 18;
}

void put24(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 16);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v);
}

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  put24(p + 1, v);
}
}  // namespace

core::Slice fileHeader() {
  static const uint8_t kHeader[] = {'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0};
  return core::Slice::fromStatic(
      std::string_view(reinterpret_cast<const char*>(kHeader), sizeof(kHeader)));
}

TagFraming frameTag(const core::media::MediaPacket& packet) {
  uint32_t body = static_cast<uint32_t>(packet.flvHeader.size() + packet.data.size());
  auto ts = static_cast<uint32_t>(packet.dts);
  core::SliceBuilder block(kTagHeaderBytes + kPreviousSizeBytes);
  uint8_t* p = block.data();
  p[0] = tagType(packet);
  put24(p + 1, body);
  put24(p + 4, ts & 0xFFFFFF);
  p[7] = static_cast<uint8_t>(ts >> 24);  // TimestampExtended
  put24(p + 8, 0);                        // StreamID, always 0
  put32(p + 11, body + kTagHeaderBytes);
  block.commit(kTagHeaderBytes + kPreviousSizeBytes);
  core::Slice bytes = block.finish();
  size_t tagBytes = body + kTagHeaderBytes + kPreviousSizeBytes;
  return TagFraming{bytes.sub(0, kTagHeaderBytes), bytes.sub(kTagHeaderBytes), tagBytes,
                    api::chunkSizeLine(tagBytes)};
}

void appendTag(const core::media::MediaPacket& packet, const TagFraming& framing,
               core::SliceList& out) {
  out.push_back(framing.prefix);
  if (!packet.flvHeader.empty()) out.push_back(packet.flvHeader);
  if (!packet.data.empty()) out.push_back(packet.data);
  out.push_back(framing.suffix);
}

const TagFraming& FramingCache::get(const core::media::MediaPacketPtr& packet) {
  if (packet_ != packet) {
    framing_ = frameTag(*packet);
    packet_ = packet;
  }
  return framing_;
}

}  // namespace tidecast::delivery::flv
