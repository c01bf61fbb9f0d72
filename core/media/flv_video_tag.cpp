// FLV video tag bodies: legacy (frame type, codec id, AVCPacketType, SI24 composition time)
// and Enhanced RTMP (IsExHeader, VideoPacketType, FourCC).
#include <string>

#include "core/media/flv_tag.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

constexpr uint8_t kFrameKey = 1;
constexpr uint8_t kFrameGeneratedKey = 4;
constexpr uint8_t kFrameCommand = 5;
constexpr size_t kLegacyHeaderSize = 5;     // byte 0, AVCPacketType, SI24
constexpr size_t kExHeaderSize = 5;         // byte 0, FourCC
constexpr size_t kExHeaderWithCtsSize = 8;  // byte 0, FourCC, SI24

int32_t readSi24(const uint8_t* p) {
  const uint32_t value = uint32_t{p[0]} << 16 | uint32_t{p[1]} << 8 | p[2];
  return static_cast<int32_t>(value ^ 0x800000) - 0x800000;  // sign-extend 24 bits
}

// Splits the body into flvHeader and data. A sequence header needs bytes; an empty coded
// frame (some encoders send them as keep-alives) carries nothing to forward.
Result<MediaPacket> finish(MediaPacket packet, const Slice& body, size_t headerSize) {
  packet.flvHeader = body.sub(0, headerSize);
  packet.data = body.sub(headerSize);
  if (packet.endOfSequence) return packet;
  if (packet.data.empty()) {
    if (packet.config) return truncatedError("empty video sequence header");
    return ignoredError("empty video frame");
  }
  return packet;
}

bool isKeyFrameType(uint8_t frameType) {
  return frameType == kFrameKey || frameType == kFrameGeneratedKey;
}

Result<MediaPacket> parseLegacyVideo(const Slice& body, MediaPacket packet) {
  const uint8_t frameType = body.data()[0] >> 4;
  const uint8_t codecId = body.data()[0] & 0x0f;
  if (frameType == kFrameCommand) return ignoredError("video command frame");
  if (frameType < kFrameKey || frameType > kFrameGeneratedKey) {
    return invalidError("reserved FLV video frame type " + std::to_string(frameType));
  }
  if (codecId == kFlvVideoCodecAvc) {
    packet.codec = Codec::kH264;
  } else if (codecId == kFlvVideoCodecHevcLegacy) {
    packet.codec = Codec::kHevc;
  } else {
    return unsupportedError("FLV video codec id " + std::to_string(codecId));
  }
  if (body.size() < kLegacyHeaderSize) return truncatedError("FLV video tag header");
  switch (body.data()[1]) {
    case 0:
      packet.config = true;
      break;
    case 1:
      packet.keyframe = isKeyFrameType(frameType);
      packet.cts = readSi24(body.data() + 2);
      break;
    case 2:
      packet.endOfSequence = true;
      break;
    default:
      return invalidError("AVCPacketType " + std::to_string(body.data()[1]));
  }
  return finish(std::move(packet), body, kLegacyHeaderSize);
}

Result<Codec> videoCodecFromFourCc(uint32_t code) {
  if (code == fourCc("avc1")) return Codec::kH264;
  if (code == fourCc("hvc1")) return Codec::kHevc;
  if (code == fourCc("av01")) return Codec::kAv1;
  if (code == fourCc("vp09") || code == fourCc("vp08") || code == fourCc("vvc1")) {
    return unsupportedError("Enhanced RTMP video FourCC is not supported");
  }
  return unsupportedError("unknown Enhanced RTMP video FourCC");
}

// CodedFrames / CodedFramesX: avc1 and hvc1 CodedFrames carry an SI24 composition time.
Result<MediaPacket> parseCodedFrames(const Slice& body, MediaPacket packet, bool withCts) {
  size_t headerSize = kExHeaderSize;
  if (withCts && packet.codec != Codec::kAv1) {
    if (body.size() < kExHeaderWithCtsSize) return truncatedError("ExVideoTagHeader CTS");
    packet.cts = readSi24(body.data() + kExHeaderSize);
    headerSize = kExHeaderWithCtsSize;
  }
  return finish(std::move(packet), body, headerSize);
}

Result<MediaPacket> parseEnhancedVideo(const Slice& body, MediaPacket packet) {
  const uint8_t frameType = (body.data()[0] >> 4) & 0x07;
  const auto packetType = static_cast<FlvVideoPacketType>(body.data()[0] & 0x0f);
  if (packetType == FlvVideoPacketType::kModEx) return unsupportedError("Enhanced RTMP ModEx");
  if (packetType == FlvVideoPacketType::kMultitrack) return unsupportedError("video multitrack");
  if (packetType == FlvVideoPacketType::kMetadata) return ignoredError("Enhanced RTMP metadata");
  if (frameType == kFrameCommand) return ignoredError("video command frame");
  if (frameType < kFrameKey || frameType > kFrameGeneratedKey) {
    return invalidError("reserved FLV video frame type " + std::to_string(frameType));
  }
  if (body.size() < kExHeaderSize) return truncatedError("ExVideoTagHeader FourCC");
  Result<Codec> codec = videoCodecFromFourCc(readFourCc(body.data() + 1));
  if (!codec.ok()) return codec.error();
  packet.codec = *codec;
  packet.keyframe = isKeyFrameType(frameType);
  switch (packetType) {
    case FlvVideoPacketType::kSequenceStart:
      packet.config = true;
      packet.keyframe = false;
      return finish(std::move(packet), body, kExHeaderSize);
    case FlvVideoPacketType::kSequenceEnd:
      packet.endOfSequence = true;
      packet.keyframe = false;
      return finish(std::move(packet), body, kExHeaderSize);
    case FlvVideoPacketType::kCodedFrames:
      return parseCodedFrames(body, std::move(packet), true);
    case FlvVideoPacketType::kCodedFramesX:
      return parseCodedFrames(body, std::move(packet), false);
    case FlvVideoPacketType::kMpeg2TsSequenceStart:
      return unsupportedError("Enhanced RTMP MPEG2TSSequenceStart");
    default:
      return unsupportedError("Enhanced RTMP video packet type " +
                              std::to_string(static_cast<int>(packetType)));
  }
}

}  // namespace

Result<MediaPacket> parseFlvVideoTag(const Slice& body, uint32_t timestampMs) {
  if (body.empty()) return truncatedError("empty FLV video tag");
  MediaPacket packet;
  packet.track = TrackType::kVideo;
  packet.dts = timestampMs;
  if (body.data()[0] & 0x80) return parseEnhancedVideo(body, std::move(packet));
  return parseLegacyVideo(body, std::move(packet));
}

}  // namespace tidecast::core::media
