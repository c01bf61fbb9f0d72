// The `server:` section: the process as a whole (graceful shutdown).
#pragma once

#include <cstdint>

#include "core/config.h"

namespace tidecast::server {

struct ServerConfig {
  uint32_t shutdownTimeoutMs = 5000;  // graceful drain on SIGTERM/SIGINT before closing hard
  bool operator==(const ServerConfig&) const = default;
};

const core::ConfigSection& serverConfigSection();

// Every section of the process: core's, the server's, then each room's, in the order
// `tidecast --print-config` lists them.
const core::ConfigSchema& configSchema();

}  // namespace tidecast::server
