#include "ingest/rtmp/chunk_writer.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace tidecast::ingest::rtmp {
namespace {

constexpr uint32_t kExtendedTimestampMarker = 0xFFFFFF;
[[maybe_unused]] constexpr size_t kMaxMessageLength = 0xFFFFFF;  // checked by assert only

size_t basicHeaderBytes(uint32_t csid) { return csid < 64 ? 1 : (csid < 320 ? 2 : 3); }

uint8_t* writeBasicHeader(uint8_t* p, int fmt, uint32_t csid) {
  auto fmtBits = static_cast<uint8_t>(fmt << 6);
  if (csid < 64) {
    *p++ = static_cast<uint8_t>(fmtBits | csid);
  } else if (csid < 320) {
    *p++ = fmtBits;
    *p++ = static_cast<uint8_t>(csid - 64);
  } else {
    *p++ = static_cast<uint8_t>(fmtBits | 1);
    *p++ = static_cast<uint8_t>((csid - 64) & 0xFF);
    *p++ = static_cast<uint8_t>((csid - 64) >> 8);
  }
  return p;
}

uint8_t* write24(uint8_t* p, uint32_t value) {
  *p++ = static_cast<uint8_t>(value >> 16);
  *p++ = static_cast<uint8_t>(value >> 8);
  *p++ = static_cast<uint8_t>(value);
  return p;
}

uint8_t* write32(uint8_t* p, uint32_t value) {
  *p++ = static_cast<uint8_t>(value >> 24);
  return write24(p, value);
}

uint8_t* write32Le(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) *p++ = static_cast<uint8_t>(value >> (8 * i));
  return p;
}

core::Slice uint32Payload(uint32_t value) {
  core::SliceBuilder builder(4);
  write32(builder.data(), value);
  builder.commit(4);
  return builder.finish();
}

}  // namespace

ChunkWriter::ChunkWriter(uint32_t chunkSize) : chunkSize_(chunkSize) {
  assert(chunkSize >= 1 && chunkSize <= 0x7FFFFFFF);
}

void ChunkWriter::setChunkSize(uint32_t chunkSize) {
  assert(chunkSize >= 1 && chunkSize <= 0x7FFFFFFF);
  chunkSize_ = chunkSize;
}

void ChunkWriter::writeMessage(uint32_t csid, uint8_t typeId, uint32_t streamId, uint32_t timestamp,
                               const core::SliceList& payload, core::SliceList& out) const {
  assert(csid >= 2 && csid <= 65599);
  size_t length = core::totalSize(payload);
  assert(length <= kMaxMessageLength);
  bool extended = timestamp >= kExtendedTimestampMarker;
  size_t extendedBytes = extended ? 4 : 0;
  size_t firstBytes = basicHeaderBytes(csid) + 11 + extendedBytes;
  size_t continuationBytes = length > chunkSize_ ? basicHeaderBytes(csid) + extendedBytes : 0;

  // fmt 0 header, then (if the message spans chunks) the one fmt 3 header all others reuse.
  core::SliceBuilder builder(firstBytes + continuationBytes);
  uint8_t* p = writeBasicHeader(builder.data(), 0, csid);
  p = write24(p, extended ? kExtendedTimestampMarker : timestamp);
  p = write24(p, static_cast<uint32_t>(length));
  *p++ = typeId;
  p = write32Le(p, streamId);
  if (extended) p = write32(p, timestamp);
  if (continuationBytes) {
    p = writeBasicHeader(p, 3, csid);
    if (extended) p = write32(p, timestamp);
  }
  builder.commit(firstBytes + continuationBytes);
  core::Slice headers = builder.finish();
  core::Slice continuation = headers.sub(firstBytes);

  size_t chunks = length == 0 ? 1 : (length + chunkSize_ - 1) / chunkSize_;
  out.reserve(out.size() + 2 * chunks + payload.size());
  out.push_back(headers.sub(0, firstBytes));
  size_t inChunk = 0;
  for (const core::Slice& slice : payload) {
    size_t offset = 0;
    while (offset < slice.size()) {
      if (inChunk == chunkSize_) {
        out.push_back(continuation);
        inChunk = 0;
      }
      size_t count = std::min<size_t>(slice.size() - offset, chunkSize_ - inChunk);
      out.push_back(slice.sub(offset, count));
      offset += count;
      inChunk += count;
    }
  }
}

void ChunkWriter::writeMessage(const RtmpMessage& message, core::SliceList& out) const {
  writeMessage(message.chunkStreamId, message.typeId, message.streamId, message.timestamp,
               core::SliceList{message.payload}, out);
}

void ChunkWriter::writeControl(uint8_t typeId, core::Slice payload, core::SliceList& out) const {
  writeMessage(kControlChunkStreamId, typeId, kControlStreamId, 0,
               core::SliceList{std::move(payload)}, out);
}

void ChunkWriter::writeSetChunkSize(uint32_t chunkSize, core::SliceList& out) {
  writeControl(kMsgSetChunkSize, makeSetChunkSize(chunkSize), out);
  setChunkSize(chunkSize);
}

// ---- protocol control payloads ----------------------------------------------------------------

core::Slice makeSetChunkSize(uint32_t chunkSize) { return uint32Payload(chunkSize); }
core::Slice makeAbort(uint32_t chunkStreamId) { return uint32Payload(chunkStreamId); }
core::Slice makeAcknowledgement(uint32_t sequenceNumber) { return uint32Payload(sequenceNumber); }
core::Slice makeWindowAckSize(uint32_t windowSize) { return uint32Payload(windowSize); }

core::Slice makeSetPeerBandwidth(uint32_t windowSize, BandwidthLimit limit) {
  core::SliceBuilder builder(5);
  write32(builder.data(), windowSize)[0] = static_cast<uint8_t>(limit);
  builder.commit(5);
  return builder.finish();
}

core::Slice makeUserControl(UserControlEvent event, uint32_t value) {
  core::SliceBuilder builder(6);
  uint8_t* p = builder.data();
  p[0] = static_cast<uint8_t>(static_cast<uint16_t>(event) >> 8);
  p[1] = static_cast<uint8_t>(static_cast<uint16_t>(event));
  write32(p + 2, value);
  builder.commit(6);
  return builder.finish();
}

core::Slice makeSetBufferLength(uint32_t streamId, uint32_t bufferLengthMs) {
  core::SliceBuilder builder(10);
  uint8_t* p = builder.data();
  p[0] = 0;
  p[1] = static_cast<uint8_t>(UserControlEvent::kSetBufferLength);
  p = write32(p + 2, streamId);
  write32(p, bufferLengthMs);
  builder.commit(10);
  return builder.finish();
}

}  // namespace tidecast::ingest::rtmp
