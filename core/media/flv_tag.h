// FLV tag bodies <-> MediaPacket. An RTMP audio/video/data message payload is an FLV tag
// body, so RTMP ingest and HTTP-FLV/RTMP play share this layout (FLV spec v10.1 E.4.2/E.4.3,
// Enhanced RTMP v1/v2 ExVideoTagHeader/ExAudioTagHeader).
//
// Parsing is zero copy: the packet's flvHeader and data are sub-slices of `body`. Errors use
// the codes of core/media/media_error.h: media.truncated, media.invalid, media.unsupported
// (VP8/VP9/VVC, multitrack, ModEx, MPEG2TSSequenceStart, sound formats other than AAC/MP3,
// enhanced audio other than AAC/Opus/MP3) and media.ignored (video command frames,
// Enhanced RTMP metadata frames, audio silence messages, empty frames).
#pragma once

#include <cstdint>

#include "core/media/media_packet.h"
#include "core/result.h"
#include "core/slice.h"

namespace tidecast::core::media {

constexpr uint32_t fourCc(const char (&text)[5]) {
  return uint32_t{static_cast<uint8_t>(text[0])} << 24 |
         uint32_t{static_cast<uint8_t>(text[1])} << 16 |
         uint32_t{static_cast<uint8_t>(text[2])} << 8 | uint32_t{static_cast<uint8_t>(text[3])};
}

// The FourCC at `p` (4 readable bytes), as a number comparable with fourCc("hvc1").
inline uint32_t readFourCc(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// Legacy codec ids (low nibble of the first video byte when bit 7 is clear).
inline constexpr uint8_t kFlvVideoCodecAvc = 7;
inline constexpr uint8_t kFlvVideoCodecHevcLegacy = 12;  // non-standard, same layout as AVC
// Legacy sound formats (high nibble of the first audio byte).
inline constexpr uint8_t kFlvSoundFormatMp3 = 2;
inline constexpr uint8_t kFlvSoundFormatExHeader = 9;
inline constexpr uint8_t kFlvSoundFormatAac = 10;
inline constexpr uint8_t kFlvSoundFormatMp3At8k = 14;

// Enhanced RTMP VideoPacketType (low nibble of the first byte when bit 7 is set).
enum class FlvVideoPacketType : uint8_t {
  kSequenceStart = 0,
  kCodedFrames = 1,
  kSequenceEnd = 2,
  kCodedFramesX = 3,  // composition time 0, not sent
  kMetadata = 4,      // AMF-encoded metadata (HDR colour info), no video
  kMpeg2TsSequenceStart = 5,
  kMultitrack = 6,
  kModEx = 7,
};

// Enhanced RTMP AudioPacketType (low nibble when SoundFormat is 9, ExHeader).
enum class FlvAudioPacketType : uint8_t {
  kSequenceStart = 0,
  kCodedFrames = 1,
  kSequenceEnd = 2,
  kMultichannelConfig = 4,
  kMultitrack = 5,
  kModEx = 7,
};

// Video tag body. keyframe is the FLV frame type (1 key frame, 4 generated key frame) of a
// coded frame; configuration and end-of-sequence packets are not keyframes.
Result<MediaPacket> parseFlvVideoTag(const Slice& body, uint32_t timestampMs);
// Audio tag body: AAC (legacy or mp4a), MP3 (legacy or .mp3), Opus (Enhanced RTMP).
Result<MediaPacket> parseFlvAudioTag(const Slice& body, uint32_t timestampMs);
// Script data tag body (onMetaData, ...): codec kAmfData, data = the whole body.
Result<MediaPacket> parseFlvDataTag(const Slice& body, uint32_t timestampMs);

// The tag body prefix for a packet from another source (SRT, transcoder): legacy for H.264,
// AAC and MP3, Enhanced RTMP for HEVC, AV1, Opus and for audio end-of-sequence. Frame type 1 for
// keyframes, config and end of sequence, else 2; HEVC frames with cts 0 use CodedFramesX. cts is
// clamped to SI24. Empty for kAmfData and for codecs FLV cannot carry.
Slice makeFlvHeader(const MediaPacket& packet);

// Whether FLV (HTTP-FLV, RTMP playback) has a tag for the codec. MP2 has no FLV sound format
// (nor an Enhanced RTMP FourCC): FLV outputs leave such a track out.
bool flvCarries(Codec codec);

}  // namespace tidecast::core::media
