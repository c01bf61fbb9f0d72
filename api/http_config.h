// The HTTP listener's sections: `http:` (address, port, CORS, limits) and `https:` (the same
// routes over TLS). api/http_server reads them live: limits reload on SIGHUP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/tls_listener_config.h"

namespace tidecast::api {

struct HttpLimits {
  size_t maxHeaderBytes = 16 * 1024;                 // 431 past it
  size_t maxBodyBytes = 1024 * 1024;                 // 413 past it
  uint32_t headerTimeoutMs = 10000;                  // whole request head must arrive within this
  uint32_t idleTimeoutMs = 60000;                    // keep-alive idle
  uint32_t maxConnections = 10000;                   // accepted connections, all clients
  uint32_t maxConnectionsPerIp = 1000;               // accepted connections from one address
  uint32_t maxPipelined = 16;                        // requests parsed ahead of responses
  size_t maxResponseBacklogBytes = 8 * 1024 * 1024;  // unsent bytes per connection before drop
  bool operator==(const HttpLimits&) const = default;
};

struct HttpConfig {
  std::string listen = "0.0.0.0";
  uint16_t port = 8080;
  HttpLimits limits;
  std::string corsAllowOrigin = "*";  // Access-Control-Allow-Origin; "" sends none
  bool operator==(const HttpConfig&) const = default;
};

struct HttpsConfig : core::TlsListenerConfig {
  HttpsConfig() { port = 8443; }
};

const core::ConfigSection& httpConfigSection();
const core::ConfigSection& httpsConfigSection();

}  // namespace tidecast::api
