// The wiring of one tidecast process: config, logger, the loop and its context, the plug-ins,
// the listeners and the signals. main() parses the command line and runs a Server.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "api/plugin.h"
#include "api/router.h"
#include "api/websocket_dispatcher.h"
#include "core/config.h"
#include "core/event_bus.h"
#include "core/loop.h"
#include "core/loop_context.h"
#include "core/metrics.h"
#include "core/stream_hub.h"
#include "core/tls_context.h"
#include "ingest/rtmp/rtmp_server.h"
#include "ingest/srt/srt_server.h"

namespace tidecast::server {

// Every plug-in of the process, in listed order (mount order follows their needs).
std::vector<std::unique_ptr<api::Plugin>> makePlugins();

class Server final : public api::ServerControl {
 public:
  Server(core::Config config, std::shared_ptr<spdlog::logger> log);
  ~Server();

  // Mounts plug-ins, opens listeners, then runs the loop until a graceful stop completes.
  // Returns the process exit code.
  int run();

  core::Result<std::vector<std::string>> reloadConfig() override;
  Connections connections() const override;

 private:
  core::Status start();
  void stop(int signum);
  void reload();
  core::Status mountPlugins();
  core::Status listenTls();
  void reloadCertificates();

  core::Config config_;
  std::shared_ptr<spdlog::logger> log_;
  core::Loop loop_;
  core::MetricsRegistry metrics_;
  core::LoopContext context_;
  core::EventBus events_;
  std::unique_ptr<core::StreamHub> hub_;
  api::Router router_;
  api::Services services_;
  // Destroyed in the reverse of their mount order: a plug-in goes before those it needs.
  struct PluginList {
    std::vector<std::unique_ptr<api::Plugin>> list;
    ~PluginList();
  } plugins_;
  std::unique_ptr<api::WebSocketDispatcher> websocket_;  // before http_: outlives upgrades
  std::unique_ptr<api::HttpServer> http_;
  std::unique_ptr<ingest::rtmp::RtmpServer> rtmp_;
  std::unique_ptr<ingest::srt::SrtServer> srt_;
  std::shared_ptr<core::TlsAcceptor> httpsTls_;  // null unless https.enabled
  std::shared_ptr<core::TlsAcceptor> rtmpsTls_;  // null unless rtmps.enabled
  std::vector<std::unique_ptr<core::Signal>> signals_;
  bool stopping_ = false;
};

}  // namespace tidecast::server
