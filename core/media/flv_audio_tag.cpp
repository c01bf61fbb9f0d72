// FLV audio tag bodies (legacy SoundFormat AAC/MP3, Enhanced RTMP ExAudioTagHeader) and
// script data tag bodies.
#include <string>

#include "core/media/flv_tag.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

constexpr size_t kAacHeaderSize = 2;  // byte 0, AACPacketType
constexpr size_t kMp3HeaderSize = 1;
constexpr size_t kExHeaderSize = 5;  // byte 0, FourCC

Result<MediaPacket> finish(MediaPacket packet, const Slice& body, size_t headerSize) {
  packet.flvHeader = body.sub(0, headerSize);
  packet.data = body.sub(headerSize);
  if (packet.data.empty() && !packet.endOfSequence) {
    // Opus may start with an empty ID header (channel layout then comes separately).
    if (packet.config && packet.codec != Codec::kOpus) {
      return truncatedError("empty audio sequence header");
    }
    if (!packet.config) return ignoredError("empty audio frame");
  }
  return packet;
}

Result<MediaPacket> parseLegacyAudio(const Slice& body, MediaPacket packet) {
  const uint8_t soundFormat = body.data()[0] >> 4;
  if (soundFormat == kFlvSoundFormatMp3 || soundFormat == kFlvSoundFormatMp3At8k) {
    packet.codec = Codec::kMp3;
    return finish(std::move(packet), body, kMp3HeaderSize);
  }
  if (soundFormat != kFlvSoundFormatAac) {
    return unsupportedError("FLV sound format " + std::to_string(soundFormat));
  }
  packet.codec = Codec::kAac;
  if (body.size() < kAacHeaderSize) return truncatedError("FLV AAC packet type");
  const uint8_t aacPacketType = body.data()[1];
  if (aacPacketType > 1) return invalidError("AACPacketType " + std::to_string(aacPacketType));
  packet.config = aacPacketType == 0;
  return finish(std::move(packet), body, kAacHeaderSize);
}

Result<Codec> audioCodecFromFourCc(uint32_t code) {
  if (code == fourCc("mp4a")) return Codec::kAac;
  if (code == fourCc("Opus")) return Codec::kOpus;
  if (code == fourCc(".mp3")) return Codec::kMp3;
  return unsupportedError("Enhanced RTMP audio FourCC is not supported");
}

Result<MediaPacket> parseEnhancedAudio(const Slice& body, MediaPacket packet) {
  const auto packetType = static_cast<FlvAudioPacketType>(body.data()[0] & 0x0f);
  if (packetType == FlvAudioPacketType::kModEx) return unsupportedError("Enhanced RTMP ModEx");
  if (packetType == FlvAudioPacketType::kMultitrack) return unsupportedError("audio multitrack");
  if (body.size() < kExHeaderSize) return truncatedError("ExAudioTagHeader FourCC");
  Result<Codec> codec = audioCodecFromFourCc(readFourCc(body.data() + 1));
  if (!codec.ok()) return codec.error();
  packet.codec = *codec;
  switch (packetType) {
    case FlvAudioPacketType::kSequenceStart:
      if (packet.codec == Codec::kMp3) return ignoredError("MP3 has no sequence header");
      packet.config = true;
      break;
    case FlvAudioPacketType::kCodedFrames:
      break;
    case FlvAudioPacketType::kSequenceEnd:
      packet.endOfSequence = true;
      break;
    case FlvAudioPacketType::kMultichannelConfig:
      return ignoredError("audio MultichannelConfig");
    default:
      return unsupportedError("Enhanced RTMP audio packet type " +
                              std::to_string(static_cast<int>(packetType)));
  }
  return finish(std::move(packet), body, kExHeaderSize);
}

}  // namespace

Result<MediaPacket> parseFlvAudioTag(const Slice& body, uint32_t timestampMs) {
  if (body.empty()) return ignoredError("audio silence message");
  MediaPacket packet;
  packet.track = TrackType::kAudio;
  packet.dts = timestampMs;
  if (body.data()[0] >> 4 == kFlvSoundFormatExHeader) {
    return parseEnhancedAudio(body, std::move(packet));
  }
  return parseLegacyAudio(body, std::move(packet));
}

Result<MediaPacket> parseFlvDataTag(const Slice& body, uint32_t timestampMs) {
  if (body.empty()) return truncatedError("empty FLV script data tag");
  MediaPacket packet;
  packet.track = TrackType::kData;
  packet.codec = Codec::kAmfData;
  packet.dts = timestampMs;
  packet.data = body;
  return packet;
}

}  // namespace tidecast::core::media
