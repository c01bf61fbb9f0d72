// The `metrics:` section: who may read GET /metrics (api/system_routes). The exposition names
// every live stream and the process's figures; it is for the operator's scraper, not the
// public. Read live: a SIGHUP applies a changed list to the next request.
#pragma once

#include <string>
#include <vector>

#include "api/cidr.h"
#include "core/config.h"

namespace tidecast::api {

struct MetricsConfig {
  // Client addresses allowed without a token: loopback and the private ranges.
  std::vector<Cidr> allow = defaultAllow();
  // Hex SHA-256 of bearer tokens allowed from any address.
  std::vector<std::string> tokenSha256;
  bool operator==(const MetricsConfig&) const = default;

  static std::vector<Cidr> defaultAllow();
};

const core::ConfigSection& metricsConfigSection();

// A YAML list of CIDR networks (a bare address is one host). Errors name the item's position
// and say what is wrong with it.
core::Status parseCidrList(const core::ConfigValue& v, std::vector<Cidr>& out);
std::string renderCidrList(const std::vector<Cidr>& networks);

}  // namespace tidecast::api
