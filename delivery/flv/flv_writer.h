// FLV framing of MediaPackets, for HTTP-FLV (and FLV files). A tag is
//   [11-byte tag header][packet.flvHeader][packet.data][4-byte previous tag size]
// The payload slices are the packet's own; only the 15 framing bytes are new, and they are
// built once per packet and shared by every viewer (FramingCache).
#pragma once

#include <cstdint>

#include "core/media/media_packet.h"
#include "core/slice.h"

namespace tidecast::delivery::flv {

// "FLV", version 1, audio+video flags, header size 9, then PreviousTagSize0.
core::Slice fileHeader();

struct TagFraming {
  core::Slice prefix;         // 11-byte tag header
  core::Slice suffix;         // 4-byte PreviousTagSize
  size_t tagBytes = 0;        // prefix + body + suffix
  core::Slice chunkSizeLine;  // HTTP chunked-coding line for a chunk of exactly one tag
};

// Framing for one packet (both slices from one 15-byte block).
TagFraming frameTag(const core::media::MediaPacket& packet);

// Appends the complete tag for `packet` to `out`: framing plus the packet's own slices.
void appendTag(const core::media::MediaPacket& packet, const TagFraming& framing,
               core::SliceList& out);

// The framing of the packet most recently asked for. During a fan-out every viewer asks for
// the same packet in turn, so all but the first get it from here. Holding the packet keeps
// its address from being reused while cached.
class FramingCache {
 public:
  const TagFraming& get(const core::media::MediaPacketPtr& packet);

 private:
  core::media::MediaPacketPtr packet_;
  TagFraming framing_;
};

}  // namespace tidecast::delivery::flv
