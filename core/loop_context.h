// Everything one event loop owns, passed explicitly to whatever runs on that loop. There are
// no global singletons: a second loop (workers: N) gets a second LoopContext.
#pragma once

#include <spdlog/logger.h>

#include "core/config.h"
#include "core/loop.h"
#include "core/metrics.h"

namespace tidecast::core {

struct LoopContext {
  Loop& loop;
  MetricsRegistry& metrics;
  spdlog::logger& log;
  // The live configuration. A SIGHUP reload updates its reloadable subset in place, on this
  // loop's thread, so readers see new limits on their next use.
  const Config& config;
};

}  // namespace tidecast::core
