// Splits outgoing RTMP messages into chunks (Adobe RTMP 1.0, section 5.3) without copying
// their payloads: the output is a list of Slices alternating between small chunk headers and
// sub-slices of the caller's payload, ready for a vectored socket write.
//
// Every message starts with a fmt 0 header and continues with fmt 3 headers: no header
// compression against earlier messages, so the chunked form of a message depends only on the
// chunk size and can be built once and shared by every player with that chunk size. An
// extended timestamp (timestamp >= 0xFFFFFF) is repeated in the fmt 3 headers. All header
// bytes of one message live in one small block (the fmt 3 header is the same for every
// continuation chunk, so it is written once and referenced repeatedly).
//
// Also here: builders for the protocol control payloads (decoders are in rtmp_message.h).
#pragma once

#include <cstdint>

#include "core/slice.h"
#include "ingest/rtmp/rtmp_message.h"

namespace tidecast::ingest::rtmp {

class ChunkWriter {
 public:
  explicit ChunkWriter(uint32_t chunkSize = 128);

  uint32_t chunkSize() const { return chunkSize_; }
  // 1 to 0x7FFFFFFF. Tell the peer first: see writeSetChunkSize().
  void setChunkSize(uint32_t chunkSize);

  // Appends the chunks of one message to `out`. Preconditions: csid in 2..65599 and a
  // payload shorter than 16 MiB (the 24-bit message length).
  void writeMessage(uint32_t csid, uint8_t typeId, uint32_t streamId, uint32_t timestamp,
                    const core::SliceList& payload, core::SliceList& out) const;
  void writeMessage(const RtmpMessage& message, core::SliceList& out) const;

  // A protocol control message: chunk stream 2, message stream 0, timestamp 0.
  void writeControl(uint8_t typeId, core::Slice payload, core::SliceList& out) const;
  // Writes a Set Chunk Size message (in the current chunk size), then switches to the new one.
  void writeSetChunkSize(uint32_t chunkSize, core::SliceList& out);

 private:
  uint32_t chunkSize_;
};

// ---- protocol control payloads (spec 5.4, 7.1.7) ---------------------------------------------
core::Slice makeSetChunkSize(uint32_t chunkSize);
core::Slice makeAbort(uint32_t chunkStreamId);
core::Slice makeAcknowledgement(uint32_t sequenceNumber);
core::Slice makeWindowAckSize(uint32_t windowSize);
core::Slice makeSetPeerBandwidth(uint32_t windowSize, BandwidthLimit limit);
// StreamBegin/StreamEof/StreamDry/StreamIsRecorded take a stream id, PingRequest and
// PingResponse a timestamp.
core::Slice makeUserControl(UserControlEvent event, uint32_t value);
core::Slice makeSetBufferLength(uint32_t streamId, uint32_t bufferLengthMs);

}  // namespace tidecast::ingest::rtmp
