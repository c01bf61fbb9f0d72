// The plug-in interface. A plug-in is one module (delivery routes, the admin API, a social
// feature) that mounts itself on what a loop offers; server/ only lists plug-ins, so adding a
// module never means editing the core or the server.
//
// Plug-ins that need each other's services (the CMAF packagers, the transcoder, the social
// store, the channel directory) do not hold each other: a plug-in says which services it
// offers and which it needs, by type; the server mounts them in an order where every need is
// offered first (orderPlugins below), and a missing or
// circular need is a clear start-up error. In mount(), the offering plug-in registers the
// object (`context.services.offer<T>(*this)`); the needing one asks for it
// (`context.services.get<T>()`).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
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

// A service type, as plug-ins name it in offers() and needs(). T declares
// `static constexpr std::string_view kServiceName` for error messages.
struct ServiceKey {
  std::type_index type;
  std::string_view name;
  bool operator==(const ServiceKey& other) const { return type == other.type; }
};
template <class T>
ServiceKey service() {
  return ServiceKey{std::type_index(typeid(T)), T::kServiceName};
}

// The services offered so far, by type. Loop thread only; filled while plug-ins mount.
class Services {
 public:
  template <class T>
  void offer(T& object) {
    entries_.push_back({service<T>(), &object});
  }
  // The service, or null when nobody offers it (only for a need declared optional).
  template <class T>
  T* find() const {
    for (const Entry& e : entries_) {
      if (e.key == service<T>()) return static_cast<T*>(e.object);
    }
    return nullptr;
  }
  // A service the caller declared in needs(): mount order guarantees it is there.
  template <class T>
  T& get() const {
    return *find<T>();
  }

 private:
  struct Entry {
    ServiceKey key;
    void* object;
  };
  std::vector<Entry> entries_;
};

struct PluginContext {
  core::LoopContext& loop;
  Router& router;
  core::StreamHub& hub;  // live streams and sessions (read them; subscribe sinks)
  core::EventBus& events;
  const core::Config& config;  // the live configuration (SIGHUP updates the reloadable keys)
  ServerControl& server;
  WebSocketDispatcher& websocket;  // JSON envelope types on /ws, raw WebSocket endpoints
  Services& services;
};

struct ServiceNeed {
  ServiceKey key;
  bool optional = false;  // mounted after the offering plug-in if there is one; fine without
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view name() const = 0;
  virtual std::vector<ServiceKey> offers() const { return {}; }
  virtual std::vector<ServiceNeed> needs() const { return {}; }
  // Registers routes and handlers, and offers its services. Called once at start-up, on the
  // loop thread, after every plug-in offering what this one needs.
  virtual core::Status mount(PluginContext& context) = 0;
};

// `plugins` reordered so that each comes after the plug-ins offering what it needs, otherwise
// in the order given. Error codes: plugin.missing_service (a need nobody offers),
// plugin.circular_need (needs that wait on each other), plugin.duplicate_service.
core::Status orderPlugins(std::vector<std::unique_ptr<Plugin>>& plugins);

}  // namespace tidecast::api
