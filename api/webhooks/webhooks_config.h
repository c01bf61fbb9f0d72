// The `webhooks:` section: outgoing HTTP hooks (api/webhooks). An empty URL disables a hook.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace tidecast::api::webhooks {

struct WebhooksConfig {
  std::string onPublish;          // gates publishing: 2xx allows (may rename), else denies
  std::string onPublishDone;      // notify
  std::string onPlay;             // gates RTMP and HTTP-FLV players: 2xx allows, else denies
  std::string onPlayDone;         // notify
  uint32_t timeoutMs = 3000;      // per attempt
  uint32_t retries = 1;           // extra attempts after a transport error, timeout or 5xx
  uint32_t retryBackoffMs = 500;  // doubled after each retry
  uint32_t maxInFlight = 256;     // requests at once; past it a gating hook denies
  bool operator==(const WebhooksConfig&) const = default;
};

const core::ConfigSection& webhooksConfigSection();

}  // namespace tidecast::api::webhooks
