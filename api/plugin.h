// The plug-in interface. A plug-in is one module (delivery routes, the admin API, a social
// feature) that mounts itself on what a loop offers; server/ only lists plug-ins, so adding a
// module never means editing the core. The social store is not in PluginContext (api/ cannot
// name social/ types): social::store::SocialStorePlugin opens it in its own mount(), and
// server/ passes that plug-in to the social plug-ins' constructors (docs/architecture.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/router.h"
#include "core/config.h"
#include "core/event_bus.h"
#include "core/loop_context.h"
#include "core/result.h"
#include "core/stream_hub.h"

namespace tidecast::api {

class WebSocketDispatcher;  // api/websocket_dispatcher.h

// What plug-ins may ask of the server itself (the admin API: reload, connection counts).
class ServerControl {
 public:
  virtual ~ServerControl() = default;
  // Re-reads the config file as SIGHUP does: the keys that changed but need a restart.
  virtual core::Result<std::vector<std::string>> reloadConfig() = 0;
  struct Connections {
    size_t http = 0;
    size_t rtmp = 0;  // RTMP and RTMPS
    size_t srt = 0;   // SRT publishers and players
  };
  virtual Connections connections() const = 0;
};

struct PluginContext {
  core::LoopContext& loop;
  Router& router;
  core::StreamHub& hub;  // live streams and sessions (read them; subscribe sinks)
  core::EventBus& events;
  const core::Config& config;  // the live configuration (SIGHUP updates the reloadable keys)
  ServerControl& server;
  WebSocketDispatcher& websocket;  // JSON envelope types on /ws, raw WebSocket endpoints
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view name() const = 0;
  // Registers routes and handlers. Called once at start-up, on the loop thread.
  virtual core::Status mount(PluginContext& context) = 0;
};

}  // namespace tidecast::api
