// The server's own endpoints: GET /healthz (liveness, JSON), GET /metrics (Prometheus text,
// for the addresses and tokens the `metrics:` section allows: api/metrics_access.h) and
// GET /time (the wall clock as ISO 8601, the DASH UTCTiming source).
#pragma once

#include <chrono>

#include "api/plugin.h"

namespace tidecast::api {

class SystemRoutes final : public Plugin {
 public:
  std::string_view name() const override { return "system"; }
  core::Status mount(PluginContext& context) override;

 private:
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// 2026-11-23T12:00:00.123Z
std::string isoTimeNow();
// The same for a Unix time in milliseconds (EXT-X-PROGRAM-DATE-TIME, MPD times).
std::string isoTime(int64_t unixMs);

}  // namespace tidecast::api
