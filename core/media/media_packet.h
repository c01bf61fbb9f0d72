// The unit of media that flows from ingest through the hub to every output. Protocol-neutral:
// RTMP, SRT and the transcoder all produce MediaPackets; FLV/RTMP, CMAF and MPEG-TS writers
// consume them. Payload bytes are Slices assembled once at ingest and never copied again.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "core/slice.h"

namespace tidecast::core::media {

enum class TrackType : uint8_t { kVideo, kAudio, kData };

enum class Codec : uint8_t {
  kUnknown,
  kH264,
  kHevc,
  kAv1,
  kAac,
  kOpus,
  kMp3,
  kAmfData,  // script data (onMetaData), payload is AMF0
  kMp2,      // MPEG-1/2 Layer II (MPEG-TS from broadcast encoders); every frame self-contained
};

std::string_view codecName(Codec codec);  // "h264", "hevc", "av1", "aac", "opus", "mp3", "mp2", ...

struct MediaPacket {
  TrackType track = TrackType::kVideo;
  Codec codec = Codec::kUnknown;
  int64_t dts = 0;        // decode timestamp, milliseconds (the RTMP/FLV timebase)
  int32_t cts = 0;        // composition offset, milliseconds: pts = dts + cts (B-frames)
  bool keyframe = false;  // video: a random access point (IDR / IRAP / AV1 key frame)
  // The payload is a decoder configuration (avcC, hvcC, av1C, AudioSpecificConfig).
  bool config = false;
  bool endOfSequence = false;
  // The FLV tag body prefix (legacy: 1–5 bytes; Enhanced RTMP: 5–8 bytes; audio: 1–2 bytes)
  // as RTMP/FLV outputs send it. For RTMP ingest it is a sub-slice of the received message.
  // Empty for codecs FLV cannot carry (MP2: see media::flvCarries).
  Slice flvHeader;
  // Codec payload: length-prefixed NAL units (H.264/HEVC), OBUs (AV1), a raw AAC frame, an
  // MPEG audio frame (MP3, MP2: header included), or the configuration record when `config`
  // is set; AMF0 bytes for kAmfData.
  Slice data;
};

// Packets are shared, immutable, between the hub, the GOP cache and every output.
using MediaPacketPtr = std::shared_ptr<const MediaPacket>;

}  // namespace tidecast::core::media
