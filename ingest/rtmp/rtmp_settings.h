// RTMP listener settings (mapped from the `rtmp:` config section by server/).
#pragma once

#include <cstdint>
#include <string>

#include "core/backlog_policy.h"
#include "ingest/rtmp/amf0.h"
#include "ingest/rtmp/chunk_reader.h"

namespace tidecast::ingest::rtmp {

struct RtmpSettings {
  std::string listen = "0.0.0.0";
  uint16_t port = 1935;
  uint32_t outChunkSize = 60000;      // our Set Chunk Size towards clients
  uint32_t windowAckSize = 2500000;   // Window Acknowledgement Size we announce
  uint32_t connectTimeoutMs = 10000;  // handshake + connect + publish/play must finish
  uint32_t commandsPerSecond = 50;    // AMF commands per connection per second
  uint32_t maxConnections = 5000;
  ChunkLimits chunkLimits;
  AmfLimits amfLimits;
  core::BacklogLimits playerBacklog;
};

}  // namespace tidecast::ingest::rtmp
