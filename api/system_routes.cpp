#include "api/system_routes.h"

#include <fmt/format.h>

#include <ctime>

#include "api/metrics_access.h"

namespace tidecast::api {

std::string isoTimeNow() {
  auto now = std::chrono::system_clock::now();
  return isoTime(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
}

std::string isoTime(int64_t ms) {
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", text, ms % 1000);
}

core::Status SystemRoutes::mount(PluginContext& context) {
  core::LoopContext& loop = context.loop;
  context.router.add("GET", "/healthz", [this](HttpRequest&, const auto& response) {
    auto uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_);
    // Probed by load balancers many times a second: formatted directly, no JSON tree.
    response->send(200, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
                   {core::Slice::fromString(
                       fmt::format(R"({{"status":"ok","uptime_seconds":{:.3f},"version":"{}"}})"
                                   "\n",
                                   uptime.count(), TIDECAST_VERSION))});
  });
  const MetricsConfig& metrics = context.config.get<MetricsConfig>();
  context.router.add(
      "GET", "/metrics", [&loop, &metrics](HttpRequest& request, const auto& response) {
        if (!admitMetricsRequest(metrics, request, *response)) {
          loop.log.debug("metrics.refused peer={} status={}", request.peer.ip, response->status());
          return;
        }
        response->send(200,
                       {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"},
                        {"Cache-Control", "no-store"}},
                       {core::Slice::fromString(loop.metrics.render())});
      });
  context.router.add("GET", "/time", [](HttpRequest&, const auto& response) {
    response->send(200, {{"Content-Type", "text/plain"}, {"Cache-Control", "no-store"}},
                   {core::Slice::fromString(isoTimeNow())});
  });
  return {};
}

}  // namespace tidecast::api
