// Fuzzes the RTMP transport as a publisher's bytes reach it: server Handshake (C0 C1 C2), then
// the ChunkReader with small limits, delivered in pieces whose size the first input byte
// picks. Every aggregate message is split; every other message (bar Set Chunk Size and Abort,
// which would steer the second reader) is re-chunked by the ChunkWriter and must read back
// identically. The same bytes also go through a ClientHandshake.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ingest/rtmp/chunk_reader.h"
#include "ingest/rtmp/chunk_writer.h"
#include "ingest/rtmp/handshake.h"

namespace {

using tidecast::ingest::rtmp::ChunkLimits;
using tidecast::ingest::rtmp::ChunkReader;
using tidecast::ingest::rtmp::ChunkWriter;
using tidecast::ingest::rtmp::kMsgAbort;
using tidecast::ingest::rtmp::kMsgAggregate;
using tidecast::ingest::rtmp::kMsgSetChunkSize;
using tidecast::ingest::rtmp::RtmpMessage;
using tidecast::ingest::rtmp::splitAggregate;

size_t pieceSize(uint8_t selector) {
  return selector < 128 ? size_t{selector} + 1u : size_t{selector - 127u} * 64u;
}

// Writes the message with the ChunkWriter and reads it back; any difference is a bug.
void checkRoundTrip(const RtmpMessage& message) {
  ChunkWriter writer(message.payload.size() % 2 ? 128 : 61);
  tidecast::core::SliceList chunks;
  if (writer.chunkSize() != 128) writer.writeSetChunkSize(61, chunks);
  writer.writeMessage(message, chunks);
  ChunkReader reader({.maxChunkStreams = 65600});
  std::vector<RtmpMessage> back;
  for (const auto& chunk : chunks) {
    auto status = reader.feed(chunk.view(), [&](RtmpMessage&& m) { back.push_back(std::move(m)); });
    if (!status) std::abort();
  }
  if (back.empty()) std::abort();
  const RtmpMessage& got = back.back();
  if (got.chunkStreamId != message.chunkStreamId || got.typeId != message.typeId ||
      got.streamId != message.streamId || got.timestamp != message.timestamp ||
      got.payload.view() != message.payload.view()) {
    std::abort();
  }
}

void onMessage(RtmpMessage&& message) {
  if (message.typeId == kMsgAggregate) {
    auto split = splitAggregate(message);
    if (split) {
      for (const auto& sub : *split) {
        if (sub.payload.size() > message.payload.size()) std::abort();
      }
    }
  }
  if (message.typeId != kMsgSetChunkSize && message.typeId != kMsgAbort) checkRoundTrip(message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t piece = pieceSize(data[0]);
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  tidecast::ingest::rtmp::ClientHandshake client;
  (void)client.consume(input);
  client.takeOutput();

  tidecast::ingest::rtmp::Handshake handshake;
  ChunkReader reader({.maxChunkSize = 65536,
                      .maxMessageBytes = 256 * 1024,
                      .maxChunkStreams = 8,
                      .maxPendingBytes = 512 * 1024});
  while (!input.empty()) {
    std::string_view bytes = input.substr(0, piece);
    input.remove_prefix(bytes.size());
    if (!handshake.done()) {
      auto consumed = handshake.consume(bytes);
      if (!consumed) return 0;
      handshake.takeOutput();
      bytes.remove_prefix(*consumed);
      if (bytes.empty()) continue;
    }
    if (!reader.feed(bytes, onMessage)) return 0;
  }
  return 0;
}
