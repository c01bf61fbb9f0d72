// The RTMP sections: `rtmp:` (the listener, the chunk stream and the limits on what a client
// sends) and `rtmps:` (the same sessions over TLS). Read at start; a change needs a restart.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/tls_listener_config.h"
#include "ingest/rtmp/amf0.h"
#include "ingest/rtmp/chunk_reader.h"

namespace tidecast::ingest::rtmp {

struct RtmpConfig {
  bool enabled = true;
  std::string listen = "0.0.0.0";
  uint16_t port = 1935;
  uint32_t outChunkSize = 60000;      // our Set Chunk Size towards clients
  uint32_t windowAckSize = 2500000;   // Window Acknowledgement Size we announce
  uint32_t connectTimeoutMs = 10000;  // handshake + connect + publish/play must finish
  uint32_t commandsPerSecond = 50;    // AMF commands per connection per second
  uint32_t maxConnections = 5000;
  ChunkLimits chunkLimits;  // what a client may send (rtmp.limits.*)
  AmfLimits amfLimits;      // built in, not configured
  bool operator==(const RtmpConfig&) const = default;
};

struct RtmpsConfig : core::TlsListenerConfig {
  RtmpsConfig() { port = 1936; }
};

const core::ConfigSection& rtmpConfigSection();
const core::ConfigSection& rtmpsConfigSection();

}  // namespace tidecast::ingest::rtmp
