// The `redis:` section: the connection (or Redis Cluster seed node) the social store uses
// (social/store/redis_client.h). An empty host leaves Redis unused. Read at start.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace tidecast::social::store {

struct RedisConfig {
  std::string host;  // "" leaves Redis unused
  uint16_t port = 6379;
  uint32_t connectTimeoutMs = 2000;
  uint32_t commandTimeoutMs = 2000;  // oldest reply overdue: the connection is reopened
  uint32_t reconnectMinMs = 100;     // first retry; doubled up to reconnectMaxMs
  uint32_t reconnectMaxMs = 5000;
  uint32_t maxInFlight = 10000;  // per connection (per node in a cluster); past it they fail
  bool cluster = false;          // host/port is a Redis Cluster seed node
  bool operator==(const RedisConfig&) const = default;
};

const core::ConfigSection& redisConfigSection();

}  // namespace tidecast::social::store
