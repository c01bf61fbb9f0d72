// The operations api/openapi.yaml documents, as "METHOD /path", and a mount point for one
// plug-in with the routes it serves (the spec<->routes tests of the admin API and of the
// social graph).
#pragma once

#include <spdlog/sinks/null_sink.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <memory>
#include <set>
#include <string>

#include "api/admin/admin_plugin.h"
#include "api/plugin.h"
#include "api/router.h"
#include "api/websocket_dispatcher.h"
#include "core/event_bus.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/loop_context.h"
#include "core/metrics.h"
#include "core/stream_hub.h"

namespace tidecast::api::testing {

inline std::set<std::string> specOperations() {
  YAML::Node spec = YAML::Load(std::string(admin::openApiSpec()));
  std::set<std::string> out;
  for (const auto& path : spec["paths"]) {
    for (const auto& op : path.second) {
      std::string method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.insert(method + " " + path.first.as<std::string>());
    }
  }
  return out;
}

class NoServer final : public ServerControl {
 public:
  core::Result<std::vector<std::string>> reloadConfig() override {
    return std::vector<std::string>{};
  }
  Connections connections() const override { return {}; }
};

// Everything a plug-in's mount() needs, on a loop that never runs; `config` is the caller's.
struct PluginMount {
  explicit PluginMount(const core::Config& cfg)
      : config(cfg),
        log(core::makeLogger(config.get<core::LogConfig>(),
                             std::make_shared<spdlog::sinks::null_sink_mt>())),
        context{loop, metrics, *log, config},
        hub(context, events),
        websocket(context),
        plugin{context, router, hub, events, config, server, websocket, services} {}

  // "METHOD /pattern" for every route mounted so far.
  std::set<std::string> servedOperations() const {
    std::set<std::string> out;
    for (const auto& [method, pattern] : router.routes()) out.insert(method + " " + pattern);
    return out;
  }

  core::Config config;
  core::Loop loop;
  core::MetricsRegistry metrics;
  std::shared_ptr<spdlog::logger> log;
  core::LoopContext context;
  core::EventBus events;
  core::StreamHub hub;
  Router router;
  NoServer server;
  Services services;
  WebSocketDispatcher websocket;
  PluginContext plugin;
};

}  // namespace tidecast::api::testing
