#include "ingest/rtmp/chunk_reader.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace tidecast::ingest::rtmp {
namespace {

// Longest chunk header: 3-byte basic header, 11-byte fmt 0 message header, extended timestamp.
// With this many bytes in hand any header can be decoded, the fmt 3 peek included.
constexpr size_t kMaxHeaderBytes = 3 + 11 + 4;
constexpr size_t kMessageHeaderBytes[4] = {11, 7, 3, 0};
constexpr uint32_t kExtendedTimestampMarker = 0xFFFFFF;

uint32_t read24(const uint8_t* p) { return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2]; }

uint32_t read32Le(const uint8_t* p) {
  return p[0] | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

std::string csidText(uint32_t csid) { return "chunk stream " + std::to_string(csid); }

}  // namespace

ChunkReader::ChunkReader(ChunkLimits limits) : limits_(limits) {}

core::Status ChunkReader::feed(std::string_view bytes, const MessageHandler& onMessage) {
  if (error_) return *error_;
  bytesReceived_ += bytes.size();
  // A header split across feeds: top the stash up to a decodable length, parse from it, and
  // repeat until it is used up (payload bytes that follow are copied from it, at most a few).
  while (!stash_.empty() && !bytes.empty()) {
    size_t take = std::min(kMaxHeaderBytes - stash_.size(), bytes.size());
    stash_.append(bytes.data(), take);
    bytes.remove_prefix(take);
    auto used = parse(stash_, onMessage);
    if (!used) {
      error_ = used.error();
      return *error_;
    }
    stash_.erase(0, *used);
  }
  if (!stash_.empty()) return {};
  auto used = parse(bytes, onMessage);
  if (!used) {
    error_ = used.error();
    return *error_;
  }
  stash_.assign(bytes.substr(*used));
  assert(stash_.size() < kMaxHeaderBytes);
  return {};
}

// Consumes headers and payload from `data` until it ends or a header is incomplete.
core::Result<size_t> ChunkReader::parse(std::string_view data, const MessageHandler& onMessage) {
  size_t pos = 0;
  while (pos < data.size()) {
    if (chunkLeft_ == 0) {
      auto used = parseHeader(data.substr(pos), onMessage);
      if (!used) return used.error();
      if (*used == 0) break;  // incomplete header: wait for more bytes
      pos += *used;
      continue;
    }
    size_t count = std::min<size_t>(chunkLeft_, data.size() - pos);
    current_->payload.append(data.data() + pos, count);
    current_->received += static_cast<uint32_t>(count);
    chunkLeft_ -= static_cast<uint32_t>(count);
    pos += count;
    if (current_->received == current_->length) {
      if (auto status = deliver(*current_, onMessage); !status) return status.error();
    }
  }
  return pos;
}

// Decodes one chunk header at the start of `data`, then applies it to its chunk stream.
// Returns the header's length, or 0 if `data` does not hold all of it yet.
core::Result<size_t> ChunkReader::parseHeader(std::string_view data,
                                              const MessageHandler& onMessage) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  ChunkHeader header;
  header.fmt = p[0] >> 6;
  uint32_t low = p[0] & 0x3F;
  size_t basicBytes = low == 0 ? 2 : (low == 1 ? 3 : 1);
  header.bytes = basicBytes + kMessageHeaderBytes[header.fmt];
  if (data.size() < header.bytes) return size_t{0};
  header.csid = low == 0 ? 64 + p[1] : (low == 1 ? 64 + p[1] + (uint32_t{p[2]} << 8) : low);

  auto found = streams_.find(header.csid);
  ChunkStream* stream = found == streams_.end() ? nullptr : &found->second;
  if (!stream && header.fmt >= 2) {
    return core::makeError("rtmp.fmt_without_previous",
                           csidText(header.csid) + ": chunk header fmt " +
                               std::to_string(header.fmt) +
                               " without a previous header to take the rest from");
  }

  const uint8_t* fields = p + basicBytes;
  if (header.fmt <= 2) {
    header.timestampField = read24(fields);
    header.extended = header.timestampField == kExtendedTimestampMarker;
  } else {
    header.timestampField = stream->timestampField;
    header.extended = stream->extended;
  }
  if (header.fmt <= 1) {
    header.length = read24(fields + 3);
    header.typeId = fields[6];
  }
  if (header.fmt == 0) header.streamId = read32Le(fields + 7);
  if (header.extended) {
    if (data.size() < header.bytes + 4) return size_t{0};
    uint32_t value = readUint32Be(p + header.bytes);
    if (header.fmt <= 2) {
      header.timestampField = value;
      header.bytes += 4;
    } else if (value == stream->timestampField) {
      header.bytes += 4;  // this peer repeats the extended timestamp in fmt 3 chunks
    }
  }

  if (!stream) {
    if (streams_.size() >= limits_.maxChunkStreams) {
      return core::makeError("rtmp.too_many_chunk_streams",
                             csidText(header.csid) + ": more than " +
                                 std::to_string(limits_.maxChunkStreams) + " chunk streams");
    }
    stream = &streams_[header.csid];
    stream->id = header.csid;
  }
  if (auto status = applyHeader(*stream, header, onMessage); !status) return status.error();
  return header.bytes;
}

// Starts a message (new timestamp, length, type) or continues the one being received, and
// makes `stream` the one whose chunk payload comes next.
core::Status ChunkReader::applyHeader(ChunkStream& stream, const ChunkHeader& header,
                                      const MessageHandler& onMessage) {
  if (stream.assembling) {
    // A continuation chunk. fmt 0/1/2 here is unusual but harmless as long as the length
    // stays; its other fields are ignored.
    if (header.fmt <= 1 && header.length != stream.length) {
      return core::makeError("rtmp.length_changed",
                             csidText(stream.id) + ": header changes the length of a message " +
                                 "that is still being received");
    }
  } else {
    if (header.fmt == 0) {
      stream.timestamp = header.timestampField;
      stream.streamId = header.streamId;
    } else {
      // fmt 1/2 carry a delta; fmt 3 repeats the last field (after fmt 0, the timestamp).
      stream.timestamp += header.timestampField;
    }
    if (header.fmt <= 1) {
      stream.length = header.length;
      stream.typeId = header.typeId;
    }
    if (header.fmt <= 2) {
      stream.timestampField = header.timestampField;
      stream.extended = header.extended;
    }
    if (auto status = startMessage(stream, onMessage); !status) return status;
  }
  current_ = &stream;
  chunkLeft_ = std::min(chunkSize_, stream.length - stream.received);
  return {};
}

// Checks the limits and allocates the payload block of a message whose header just arrived.
// An empty message is delivered at once.
core::Status ChunkReader::startMessage(ChunkStream& stream, const MessageHandler& onMessage) {
  if (stream.length > limits_.maxMessageBytes) {
    return core::makeError("rtmp.message_too_large", csidText(stream.id) + ": message of " +
                                                         std::to_string(stream.length) +
                                                         " bytes exceeds the limit of " +
                                                         std::to_string(limits_.maxMessageBytes));
  }
  if (stream.length == 0) return deliver(stream, onMessage);
  if (pendingBytes_ + stream.length > limits_.maxPendingBytes) {
    return core::makeError("rtmp.pending_too_large",
                           csidText(stream.id) + ": partially received messages would hold " +
                               std::to_string(pendingBytes_ + stream.length) +
                               " bytes, over the limit of " +
                               std::to_string(limits_.maxPendingBytes));
  }
  pendingBytes_ += stream.length;
  stream.payload = core::SliceBuilder(stream.length);
  stream.assembling = true;
  stream.received = 0;
  return {};
}

core::Status ChunkReader::deliver(ChunkStream& stream, const MessageHandler& onMessage) {
  RtmpMessage message{stream.id, stream.typeId, stream.streamId, stream.timestamp,
                      stream.payload.finish()};
  if (stream.assembling) pendingBytes_ -= stream.length;
  stream.assembling = false;
  stream.received = 0;
  if (message.typeId == kMsgSetChunkSize || message.typeId == kMsgAbort) {
    if (auto status = applyControl(message); !status) return status;
  }
  onMessage(std::move(message));
  return {};
}

core::Status ChunkReader::applyControl(const RtmpMessage& message) {
  std::optional<uint32_t> value = controlValue(message.payload);
  const char* name = message.typeId == kMsgSetChunkSize ? "Set Chunk Size" : "Abort";
  if (!value) {
    return core::makeError("rtmp.bad_control_message", std::string(name) + " message with a " +
                                                           std::to_string(message.payload.size()) +
                                                           "-byte payload");
  }
  if (message.typeId == kMsgAbort) {
    auto found = streams_.find(*value);
    if (found != streams_.end() && found->second.assembling) {
      ChunkStream& aborted = found->second;
      pendingBytes_ -= aborted.length;
      aborted.payload = core::SliceBuilder(0);
      aborted.assembling = false;
      aborted.received = 0;
    }
    return {};
  }
  if (*value == 0 || (*value & 0x80000000u) != 0) {
    return core::makeError("rtmp.bad_chunk_size", "Set Chunk Size " + std::to_string(*value) +
                                                      " (must be 1 to 2147483647)");
  }
  if (*value > limits_.maxChunkSize) {
    return core::makeError("rtmp.chunk_size_too_large", "Set Chunk Size " + std::to_string(*value) +
                                                            " exceeds the limit of " +
                                                            std::to_string(limits_.maxChunkSize));
  }
  chunkSize_ = *value;
  return {};
}

// ---- aggregate messages ---------------------------------------------------------------------

core::Result<std::vector<RtmpMessage>> splitAggregate(const RtmpMessage& aggregate) {
  constexpr size_t kSubHeaderBytes = 11;  // type, length (3), timestamp (3 + 1), stream id (3)
  constexpr size_t kBackPointerBytes = 4;
  const core::Slice& payload = aggregate.payload;
  const uint8_t* p = payload.data();
  std::vector<RtmpMessage> out;
  uint32_t firstTimestamp = 0;
  size_t pos = 0;
  while (pos < payload.size()) {
    if (payload.size() - pos < kSubHeaderBytes) {
      return core::makeError("rtmp.bad_aggregate",
                             "aggregate message: truncated sub-message "
                             "header at offset " +
                                 std::to_string(pos));
    }
    const uint8_t* header = p + pos;
    uint32_t length = read24(header + 1);
    uint32_t timestamp = read24(header + 4) | (uint32_t{header[7]} << 24);
    pos += kSubHeaderBytes;
    if (payload.size() - pos < length) {
      return core::makeError("rtmp.bad_aggregate",
                             "aggregate message: sub-message of " + std::to_string(length) +
                                 " bytes at offset " + std::to_string(pos - kSubHeaderBytes) +
                                 " runs past the end");
    }
    if (out.empty()) firstTimestamp = timestamp;
    out.push_back(RtmpMessage{aggregate.chunkStreamId, header[0], aggregate.streamId,
                              aggregate.timestamp + (timestamp - firstTimestamp),
                              payload.sub(pos, length)});
    pos += length;
    size_t left = payload.size() - pos;
    if (left == 0) break;  // some senders omit the last back pointer
    if (left < kBackPointerBytes) {
      return core::makeError(
          "rtmp.bad_aggregate",
          "aggregate message: truncated back pointer at offset " + std::to_string(pos));
    }
    pos += kBackPointerBytes;
  }
  return out;
}

}  // namespace tidecast::ingest::rtmp
