// Reassembles RTMP messages from the chunk stream a peer sends after the handshake (Adobe RTMP
// 1.0, section 5.3). Bytes arrive in whatever pieces TCP delivers; each message's payload is
// written into ONE block allocated at the message's declared length when its first chunk
// header arrives, and handed up as a Slice that every later consumer shares: the payload is
// never grown, copied or re-assembled again.
//
// Header compression: fmt 0 sets everything, fmt 1/2 add a timestamp delta to the chunk
// stream's last timestamp, and a fmt 3 chunk that starts a message repeats the last delta
// (after a fmt 0, the last timestamp field itself, as the spec says and ffmpeg sends).
// Extended timestamps: when a stream's last fmt 0/1/2 header carried one, a fmt 3 chunk may or
// may not repeat it (Flash and librtmp do, some encoders do not); the reader peeks the next 4
// bytes and takes them as the extended timestamp only if they equal the stored value.
// A fmt 1 header on a chunk stream never seen before is accepted (message stream 0): librtmp
// clients, OBS among them, send their first user control message that way.
//
// Set Chunk Size (type 1) and Abort (type 2) are applied here, then passed up like any other
// message. Every limit is in ChunkLimits; a violation is an Error with a stable code, and the
// reader stays failed: the connection must be closed. One reader per connection, used on that
// connection's loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/slice.h"
#include "ingest/rtmp/rtmp_message.h"

namespace tidecast::ingest::rtmp {

inline constexpr uint32_t kDefaultChunkSize = 128;  // until the peer's Set Chunk Size
inline constexpr uint32_t kMinChunkStreamId = 2;
inline constexpr uint32_t kMaxChunkStreamId = 65599;

struct ChunkLimits {
  uint32_t maxChunkSize = 65536;              // a Set Chunk Size above this is an error
  uint32_t maxMessageBytes = 0xFFFFFF;        // declared length: the most RTMP's 24 bits can say
  uint32_t maxChunkStreams = 64;              // distinct chunk stream ids per connection
  size_t maxPendingBytes = 64 * 1024 * 1024;  // sum of partially received messages
  bool operator==(const ChunkLimits&) const = default;
};

class ChunkReader {
 public:
  // Receives each complete message. Must not call feed() on the same reader.
  using MessageHandler = std::function<void(RtmpMessage&&)>;

  explicit ChunkReader(ChunkLimits limits = {});

  // Parses `bytes` (any split), calling onMessage for every message completed. Error codes:
  // rtmp.chunk_size_too_large, rtmp.bad_chunk_size, rtmp.message_too_large,
  // rtmp.too_many_chunk_streams, rtmp.pending_too_large, rtmp.fmt_without_previous,
  // rtmp.length_changed (a new header changes the length of a message being received),
  // rtmp.bad_control_message (Set Chunk Size or Abort shorter than 4 bytes). Once an error has
  // been returned, every later call returns it again.
  core::Status feed(std::string_view bytes, const MessageHandler& onMessage);

  // Every byte ever passed to feed(): the basis of Acknowledgement sequence numbers.
  uint64_t bytesReceived() const { return bytesReceived_; }
  uint32_t chunkSize() const { return chunkSize_; }
  // Declared lengths of the messages currently being received.
  size_t pendingBytes() const { return pendingBytes_; }

 private:
  struct ChunkStream {
    uint32_t id = 0;
    uint8_t typeId = 0;
    uint32_t streamId = 0;
    uint32_t length = 0;
    uint32_t timestamp = 0;       // of the current (or last) message
    uint32_t timestampField = 0;  // the last timestamp/delta field, extended value included
    bool extended = false;        // the last fmt 0/1/2 header had an extended timestamp
    bool assembling = false;      // a message is partly received
    uint32_t received = 0;
    core::SliceBuilder payload{0};
  };

  // One decoded chunk header; fields a compressed header lacks are left at zero.
  struct ChunkHeader {
    int fmt = 0;
    uint32_t csid = 0;
    size_t bytes = 0;             // basic + message header + extended timestamp, if taken
    uint32_t timestampField = 0;  // timestamp (fmt 0) or delta, extended value included
    bool extended = false;
    uint32_t length = 0;
    uint8_t typeId = 0;
    uint32_t streamId = 0;
  };

  core::Result<size_t> parse(std::string_view data, const MessageHandler& onMessage);
  core::Result<size_t> parseHeader(std::string_view data, const MessageHandler& onMessage);
  core::Status applyHeader(ChunkStream& stream, const ChunkHeader& header,
                           const MessageHandler& onMessage);
  core::Status startMessage(ChunkStream& stream, const MessageHandler& onMessage);
  core::Status deliver(ChunkStream& stream, const MessageHandler& onMessage);
  core::Status applyControl(const RtmpMessage& message);

  ChunkLimits limits_;
  uint32_t chunkSize_ = kDefaultChunkSize;
  std::unordered_map<uint32_t, ChunkStream> streams_;
  ChunkStream* current_ = nullptr;  // the stream whose chunk payload is being read
  uint32_t chunkLeft_ = 0;          // payload bytes left in the current chunk
  size_t pendingBytes_ = 0;
  uint64_t bytesReceived_ = 0;
  std::string stash_;  // an incomplete chunk header carried over to the next feed()
  std::optional<core::Error> error_;
};

// Splits an Aggregate message (type 22, spec 7.1.6) into its sub-messages. Each payload is a
// sub-slice of the aggregate's (no copy); timestamps are re-based so the first sub-message
// gets the aggregate's timestamp and the others keep their offsets from it; all take the
// aggregate's chunk stream and message stream ids. Nested aggregates are returned as they
// are. A missing final back pointer is tolerated. Error: rtmp.bad_aggregate.
core::Result<std::vector<RtmpMessage>> splitAggregate(const RtmpMessage& aggregate);

}  // namespace tidecast::ingest::rtmp
