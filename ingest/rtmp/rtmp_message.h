// One RTMP message as the chunk layer delivers it (ChunkReader) and takes it (ChunkWriter),
// the message type ids of the spec (Adobe RTMP 1.0, section 5.4 and 7.1) and the decoding of
// the small fixed-layout protocol control payloads. Builders for those payloads live next to
// the ChunkWriter (chunk_writer.h).
#pragma once

#include <cstdint>
#include <optional>

#include "core/slice.h"

namespace tidecast::ingest::rtmp {

struct RtmpMessage {
  uint32_t chunkStreamId = 0;
  uint8_t typeId = 0;
  uint32_t streamId = 0;   // message stream id (0 = the control stream)
  uint32_t timestamp = 0;  // absolute, milliseconds, wraps at 2^32
  core::Slice payload;     // the whole message; shares its block with every later reader
};

// ---- message type ids -------------------------------------------------------------------
inline constexpr uint8_t kMsgSetChunkSize = 1;
inline constexpr uint8_t kMsgAbort = 2;
inline constexpr uint8_t kMsgAcknowledgement = 3;
inline constexpr uint8_t kMsgUserControl = 4;
inline constexpr uint8_t kMsgWindowAckSize = 5;
inline constexpr uint8_t kMsgSetPeerBandwidth = 6;
inline constexpr uint8_t kMsgAudio = 8;
inline constexpr uint8_t kMsgVideo = 9;
inline constexpr uint8_t kMsgAmf3Data = 15;
inline constexpr uint8_t kMsgAmf3SharedObject = 16;
inline constexpr uint8_t kMsgAmf3Command = 17;
inline constexpr uint8_t kMsgAmf0Data = 18;
inline constexpr uint8_t kMsgAmf0SharedObject = 19;
inline constexpr uint8_t kMsgAmf0Command = 20;
inline constexpr uint8_t kMsgAggregate = 22;

// Protocol control messages travel on chunk stream 2, message stream 0 (spec 5.4).
inline constexpr uint32_t kControlChunkStreamId = 2;
inline constexpr uint32_t kControlStreamId = 0;

// ---- user control events (message type 4, spec 7.1.7) -------------------------------------
enum class UserControlEvent : uint16_t {
  kStreamBegin = 0,
  kStreamEof = 1,
  kStreamDry = 2,
  kSetBufferLength = 3,
  kStreamIsRecorded = 4,
  kPingRequest = 6,
  kPingResponse = 7,
};

// Set Peer Bandwidth limit types (spec 5.4.5).
enum class BandwidthLimit : uint8_t { kHard = 0, kSoft = 1, kDynamic = 2 };

// ---- decoding control payloads -------------------------------------------------------------
inline uint32_t readUint32Be(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// The 4-byte big-endian value of Set Chunk Size, Abort, Acknowledgement, Window Ack Size and
// (first field of) Set Peer Bandwidth. nullopt when the payload is shorter than 4 bytes.
inline std::optional<uint32_t> controlValue(const core::Slice& payload) {
  if (payload.size() < 4) return std::nullopt;
  return readUint32Be(payload.data());
}

struct UserControl {
  UserControlEvent event{};
  uint32_t value = 0;           // stream id, or the timestamp of a ping
  uint32_t bufferLengthMs = 0;  // SetBufferLength only
};

// Decodes a User Control payload: a 2-byte event type and its data (4 bytes; 8 for
// SetBufferLength). nullopt when the payload is too short for its event type. Unknown event
// types decode with their raw value so the caller can log and ignore them.
inline std::optional<UserControl> parseUserControl(const core::Slice& payload) {
  if (payload.size() < 6) return std::nullopt;
  const uint8_t* p = payload.data();
  UserControl out;
  out.event = static_cast<UserControlEvent>((p[0] << 8) | p[1]);
  out.value = readUint32Be(p + 2);
  if (out.event == UserControlEvent::kSetBufferLength) {
    if (payload.size() < 10) return std::nullopt;
    out.bufferLengthMs = readUint32Be(p + 6);
  }
  return out;
}

}  // namespace tidecast::ingest::rtmp
