// The `dash:` section: LL-DASH manifests (delivery/dash).
#pragma once

#include <cstdint>

#include "core/config.h"

namespace tidecast::delivery::dash {

struct DashConfig {
  uint32_t latencyTargetMs = 1000;  // MPD ServiceDescription Latency@target
  bool operator==(const DashConfig&) const = default;
};

const core::ConfigSection& dashConfigSection();

}  // namespace tidecast::delivery::dash
