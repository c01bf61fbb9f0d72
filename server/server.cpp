#include "server/server.h"

#include <csignal>
#include <filesystem>
#include <tuple>

#include "api/admin/admin_plugin.h"
#include "api/auth/playback_guard.h"
#include "api/http_config.h"
#include "api/system_routes.h"
#include "api/webhooks/webhooks_plugin.h"
#include "core/data_dir_config.h"
#include "core/log.h"
#include "core/process_stats.h"
#include "delivery/cmaf/cmaf_plugin.h"
#include "delivery/dash/dash_plugin.h"
#include "delivery/flv/flv_plugin.h"
#include "delivery/hls/hls_plugin.h"
#include "delivery/transcode/transcode_plugin.h"
#include "ingest/rtmp/rtmp_config.h"
#include "ingest/srt/srt_config.h"
#include "server/server_config.h"
#include "social/graph/graph_plugin.h"
#include "social/store/social_store_plugin.h"

namespace tidecast::server {

// Every module of the process. Adding a module is one line here: each reads its own config
// section and says which services it offers and needs (api/plugin.h); the mount order follows
// from those needs, ties keeping this order (access checks before the routes they guard).
std::vector<std::unique_ptr<api::Plugin>> makePlugins() {
  std::vector<std::unique_ptr<api::Plugin>> plugins;
  plugins.push_back(std::make_unique<api::SystemRoutes>());
  plugins.push_back(std::make_unique<api::auth::PlaybackGuard>());
  plugins.push_back(std::make_unique<api::webhooks::WebhooksPlugin>());
  plugins.push_back(std::make_unique<api::admin::AdminPlugin>());
  plugins.push_back(std::make_unique<delivery::flv::FlvPlugin>());
  plugins.push_back(std::make_unique<delivery::cmaf::CmafPlugin>());
  plugins.push_back(std::make_unique<delivery::transcode::TranscodePlugin>());
  plugins.push_back(std::make_unique<delivery::hls::HlsPlugin>());
  plugins.push_back(std::make_unique<delivery::dash::DashPlugin>());
  plugins.push_back(std::make_unique<social::store::SocialStorePlugin>());
  plugins.push_back(std::make_unique<social::graph::GraphPlugin>());
  return plugins;
}

namespace {

// The TLS context a listener's config describes; HTTPS offers http/1.1 by ALPN.
core::Result<std::shared_ptr<core::TlsContext>> loadTlsContext(const core::TlsListenerConfig& c,
                                                               std::string_view name) {
  core::TlsSettings s{c.certFile, c.keyFile, {}, c.ciphers, c.ciphersuites};
  if (name == "https") s.alpn = {"http/1.1"};
  auto context = core::TlsContext::load(s);
  if (!context) {
    return core::makeError(context.error().code,
                           std::string(name) + ": " + context.error().message);
  }
  return context;
}

}  // namespace

Server::PluginList::~PluginList() {
  while (!list.empty()) list.pop_back();  // the reverse of the mount order
}

Server::Server(core::Config config, std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)),
      log_(std::move(log)),
      context_{loop_, metrics_, *log_, config_},
      plugins_{makePlugins()} {}

Server::~Server() = default;

int Server::run() {
  if (auto status = start(); !status) {
    log_->critical("server.start_failed code={} error=\"{}\"", status.error().code,
                   status.error().message);
    http_.reset();
    signals_.clear();
    return 1;
  }
  loop_.run();
  log_->info("server.stopped");
  return 0;
}

core::Status Server::start() {
  const std::string& dataDir = config_.get<core::DataDirConfig>().path;
  std::error_code ec;
  std::filesystem::create_directories(dataDir, ec);
  if (ec) {
    return core::makeError("server.data_dir",
                           "cannot create data_dir '" + dataDir + "': " + ec.message());
  }
  core::registerProcessMetrics(metrics_);
  hub_ = std::make_unique<core::StreamHub>(context_, events_);
  websocket_ = std::make_unique<api::WebSocketDispatcher>(context_);
  websocket_->mount(router_, "/ws");
  if (auto status = mountPlugins(); !status) return status;
  http_ = std::make_unique<api::HttpServer>(
      context_, [this](api::HttpRequest& request, const auto& response) {
        router_.dispatch(request, response);
      });
  const auto& http = config_.get<api::HttpConfig>();
  if (auto status = http_->listen(http.listen, http.port); !status) return status;
  log_->info("http.listen addr={} port={}", http.listen, http_->port());
  const auto& rtmp = config_.get<ingest::rtmp::RtmpConfig>();
  if (rtmp.enabled || config_.get<ingest::rtmp::RtmpsConfig>().enabled) {
    rtmp_ = std::make_unique<ingest::rtmp::RtmpServer>(context_, *hub_, rtmp);
  }
  if (rtmp.enabled) {
    if (auto status = rtmp_->listen(); !status) return status;
    log_->info("rtmp.listen addr={} port={}", rtmp.listen, rtmp_->port());
  }
  if (auto status = listenTls(); !status) return status;
  const auto& srt = config_.get<ingest::srt::SrtConfig>();
  if (srt.enabled) {
    srt_ = std::make_unique<ingest::srt::SrtServer>(context_, *hub_, srt);
    if (auto status = srt_->listen(); !status) return status;
    log_->info("srt.listen addr={} port={}", srt.listen, srt_->port());
  }

  for (int signum : {SIGINT, SIGTERM, SIGHUP}) {
    auto signal = std::make_unique<core::Signal>(loop_);
    auto status = signal->start(signum, [this](int sig) {
      if (sig == SIGHUP) {
        reload();
      } else {
        stop(sig);
      }
    });
    if (!status) return status;
    signals_.push_back(std::move(signal));
  }
  log_->info("server.started version={} config={}", TIDECAST_VERSION,
             config_.sourcePath().empty() ? "(built-in defaults)" : config_.sourcePath());
  return {};
}

// Orders the plug-ins by what they need (a missing or circular need stops the start) and
// mounts them.
core::Status Server::mountPlugins() {
  if (auto status = api::orderPlugins(plugins_.list); !status) return status;
  api::PluginContext context{context_, router_, *hub_,       events_,
                             config_,  *this,   *websocket_, services_};
  for (auto& plugin : plugins_.list) {
    if (auto status = plugin->mount(context); !status) return status;
  }
  return {};
}

// Opens the https: and rtmps: listeners that are enabled, each with its own acceptor.
core::Status Server::listenTls() {
  struct Listener {
    const core::TlsListenerConfig& config;
    const char* name;
    std::shared_ptr<core::TlsAcceptor>& acceptor;
    std::function<core::Status()> listen;
    std::function<uint16_t()> port;
  };
  const core::TlsListenerConfig& https = config_.get<api::HttpsConfig>();
  const core::TlsListenerConfig& rtmps = config_.get<ingest::rtmp::RtmpsConfig>();
  Listener listeners[] = {
      {https, "https", httpsTls_,
       [this, &https] { return http_->listenTls(https.listen, https.port, httpsTls_); },
       [this] { return http_->tlsPort(); }},
      {rtmps, "rtmps", rtmpsTls_,
       [this, &rtmps] { return rtmp_->listenTls(rtmps.listen, rtmps.port, rtmpsTls_); },
       [this] { return rtmp_->tlsPort(); }},
  };
  for (Listener& l : listeners) {
    if (!l.config.enabled) continue;
    auto context = loadTlsContext(l.config, l.name);
    if (!context) return context.error();
    l.acceptor = std::make_shared<core::TlsAcceptor>(l.name, *context, l.config.handshakeTimeoutMs,
                                                     metrics_, *log_);
    if (auto status = l.listen(); !status) return status;
    log_->info("{}.listen addr={} port={} cert=\"{}\"", l.name, l.config.listen, l.port(),
               (*context)->description());
  }
  return {};
}

// Certificates are read again on every reload (the files may have changed under the same
// names). New connections get the new context; open ones keep theirs. A file that fails to
// load keeps the running certificate.
void Server::reloadCertificates() {
  const core::TlsListenerConfig* https = &config_.get<api::HttpsConfig>();
  const core::TlsListenerConfig* rtmps = &config_.get<ingest::rtmp::RtmpsConfig>();
  for (auto [acceptor, c, name] :
       {std::tuple{httpsTls_.get(), https, "https"}, std::tuple{rtmpsTls_.get(), rtmps, "rtmps"}}) {
    if (acceptor == nullptr) continue;
    acceptor->setHandshakeTimeoutMs(c->handshakeTimeoutMs);
    auto context = loadTlsContext(*c, name);
    if (!context) {
      log_->error("tls.reload_failed listener={} code={} error=\"{}\"", name, context.error().code,
                  context.error().message);
      continue;
    }
    acceptor->replace(*context);
    log_->info("tls.reloaded listener={} cert=\"{}\"", name, (*context)->description());
  }
}

void Server::stop(int signum) {
  if (stopping_) {
    // A second signal: stop waiting for clients.
    log_->warn("server.stop_now signal={}", signum);
    http_->shutdown(0, [] {});
    return;
  }
  stopping_ = true;
  const uint32_t timeoutMs = config_.get<ServerConfig>().shutdownTimeoutMs;
  log_->info("server.stopping signal={} timeout_ms={}", signum, timeoutMs);
  // Publishers and RTMP players first: their streams end, so HTTP viewers finish too.
  if (rtmp_) rtmp_->shutdown();
  if (srt_) srt_->shutdown();
  if (websocket_) websocket_->server().shutdown();  // close 1001, handshakes finish on their own
  http_->shutdown(timeoutMs, [this] {
    // Nothing else keeps the loop alive once the listeners and connections are gone.
    signals_.clear();
  });
}

void Server::reload() { (void)reloadConfig(); }

core::Result<std::vector<std::string>> Server::reloadConfig() {
  if (config_.sourcePath().empty()) {
    log_->warn("config.reload_skipped reason=\"running on built-in defaults, no file\"");
    return core::makeError("config.no_file", "running on built-in defaults: no file to reload");
  }
  // A small file read on the loop thread: reloads are rare and operator-initiated.
  auto fresh = core::loadConfigFile(configSchema(), config_.sourcePath());
  if (!fresh) {
    log_->error("config.reload_failed error=\"{}\"", fresh.error().message);
    return fresh.error();
  }
  std::vector<std::string> needRestart = core::applyReload(config_, *fresh);
  for (const auto& key : needRestart) log_->warn("config.reload_needs_restart key={}", key);
  core::reconfigureLogger(*log_, config_.get<core::LogConfig>());
  reloadCertificates();
  log_->info("config.reloaded file={}", config_.sourcePath());
  return needRestart;
}

api::ServerControl::Connections Server::connections() const {
  return {http_ ? http_->connectionCount() : 0, rtmp_ ? rtmp_->sessionCount() : 0,
          srt_ ? srt_->sessionCount() : 0};
}

}  // namespace tidecast::server
