// makeFlvHeader: the FLV tag body prefix for packets that did not arrive as FLV.
#include <algorithm>

#include "core/media/bytes.h"
#include "core/media/flv_tag.h"

namespace tidecast::core::media {

namespace {

constexpr int32_t kSi24Min = -(1 << 23);
constexpr int32_t kSi24Max = (1 << 23) - 1;

uint32_t si24(int32_t value) {
  return static_cast<uint32_t>(std::clamp(value, kSi24Min, kSi24Max)) & 0xffffff;
}

uint8_t frameType(const MediaPacket& packet) {
  return packet.keyframe || packet.config || packet.endOfSequence ? 1 : 2;
}

Bytes legacyAvcHeader(const MediaPacket& packet) {
  Bytes out;
  appendU8(out, frameType(packet) << 4 | kFlvVideoCodecAvc);
  const bool frame = !packet.config && !packet.endOfSequence;
  appendU8(out, packet.config ? 0 : packet.endOfSequence ? 2 : 1);
  appendU24(out, frame ? si24(packet.cts) : 0);
  return out;
}

Bytes enhancedVideoHeader(const MediaPacket& packet, uint32_t code) {
  auto type = FlvVideoPacketType::kCodedFramesX;
  if (packet.config) {
    type = FlvVideoPacketType::kSequenceStart;
  } else if (packet.endOfSequence) {
    type = FlvVideoPacketType::kSequenceEnd;
  } else if (packet.codec == Codec::kAv1 || packet.cts != 0) {
    type = FlvVideoPacketType::kCodedFrames;  // AV1 CodedFrames carry no CTS
  }
  Bytes out;
  appendU8(out, 0x80 | frameType(packet) << 4 | static_cast<uint8_t>(type));
  appendU32(out, code);
  if (type == FlvVideoPacketType::kCodedFrames && packet.codec != Codec::kAv1) {
    appendU24(out, si24(packet.cts));
  }
  return out;
}

Bytes enhancedAudioHeader(const MediaPacket& packet, uint32_t code) {
  auto type = FlvAudioPacketType::kCodedFrames;
  if (packet.config) type = FlvAudioPacketType::kSequenceStart;
  if (packet.endOfSequence) type = FlvAudioPacketType::kSequenceEnd;
  Bytes out;
  appendU8(out, kFlvSoundFormatExHeader << 4 | static_cast<uint8_t>(type));
  appendU32(out, code);
  return out;
}

// AAC/MP3 as legacy tags, except end of sequence, which only Enhanced RTMP can say.
Bytes legacyAudioHeader(const MediaPacket& packet) {
  const bool aac = packet.codec == Codec::kAac;
  if (packet.endOfSequence) {
    return enhancedAudioHeader(packet, aac ? fourCc("mp4a") : fourCc(".mp3"));
  }
  if (!aac) return {static_cast<uint8_t>(kFlvSoundFormatMp3 << 4 | 0x0f)};
  // 44 kHz, 16-bit, stereo: the fixed values the FLV spec requires for AAC.
  return {static_cast<uint8_t>(kFlvSoundFormatAac << 4 | 0x0f),
          static_cast<uint8_t>(packet.config ? 0 : 1)};
}

}  // namespace

Slice makeFlvHeader(const MediaPacket& packet) {
  Bytes header;
  switch (packet.codec) {
    case Codec::kH264:
      header = legacyAvcHeader(packet);
      break;
    case Codec::kHevc:
      header = enhancedVideoHeader(packet, fourCc("hvc1"));
      break;
    case Codec::kAv1:
      header = enhancedVideoHeader(packet, fourCc("av01"));
      break;
    case Codec::kAac:
    case Codec::kMp3:
      header = legacyAudioHeader(packet);
      break;
    case Codec::kOpus:
      header = enhancedAudioHeader(packet, fourCc("Opus"));
      break;
    case Codec::kMp2:  // no FLV sound format: see flvCarries
    case Codec::kAmfData:
    case Codec::kUnknown:
      break;
  }
  return Slice::copyOf(header.data(), header.size());
}

bool flvCarries(Codec codec) { return codec != Codec::kMp2 && codec != Codec::kUnknown; }

}  // namespace tidecast::core::media
