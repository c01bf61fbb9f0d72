// The `websocket:` section (api/websocket_*). Every key reloads on SIGHUP: open connections
// use the new values from their next frame or timer on.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/config.h"

namespace tidecast::api {

struct WebSocketConfig {
  size_t maxFrameBytes = 1024 * 1024;        // payload of one client frame; close 1009 past it
  size_t maxMessageBytes = 1024 * 1024;      // reassembled message; close 1009 past it
  uint32_t pingIntervalMs = 30000;           // our pings to each client
  uint32_t idleTimeoutMs = 75000;            // no frame from the client: close 1001
  uint32_t closeTimeoutMs = 5000;            // wait for the peer's close / TCP end, then drop
  size_t maxSendBacklogBytes = 1024 * 1024;  // unsent bytes per connection; close 1008 past it
  uint32_t maxConnections = 10000;           // open WebSocket connections; 503 past it
  bool operator==(const WebSocketConfig&) const = default;
};

const core::ConfigSection& websocketConfigSection();

}  // namespace tidecast::api
