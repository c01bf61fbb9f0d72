#include "server/server.h"

#include <csignal>
#include <filesystem>
#include <tuple>

#include "api/admin/admin_plugin.h"
#include "api/auth/playback_guard.h"
#include "api/system_routes.h"
#include "api/webhooks/webhooks_plugin.h"
#include "core/log.h"
#include "core/process_stats.h"
#include "delivery/cmaf/cmaf_plugin.h"
#include "delivery/dash/dash_plugin.h"
#include "delivery/flv/flv_plugin.h"
#include "delivery/hls/hls_plugin.h"
#include "social/graph/graph_plugin.h"
#include "social/store/social_store_plugin.h"

namespace tidecast::server {

namespace {

core::BacklogLimits backlogLimits(const core::Config& config) {
  return {config.streams.playerMaxBacklogBytes, config.streams.playerMaxBacklogMs,
          config.streams.playerWriteMergeMs};
}

// Every module of the process, in mount order. Adding a module is one line here.
delivery::cmaf::CmafSettings cmafSettings(const core::Config& config) {
  const core::CmafConfig& c = config.cmaf;
  delivery::cmaf::CmafSettings s;
  s.segmentTargetMs = c.segmentTargetMs;
  s.partTargetMs = std::min(c.partTargetMs, c.segmentTargetMs / 2);
  s.windowSegments = c.windowSegments;
  s.lingerMs = c.lingerMs;
  s.maxWaitersPerStream = c.maxHeldRequestsPerStream;
  s.sendfileSegments = c.sendfileSegments;
  return s;
}

std::vector<std::unique_ptr<api::Plugin>> makePlugins(const core::Config& config,
                                                      api::admin::AdminPlugin** admin) {
  std::vector<std::unique_ptr<api::Plugin>> plugins;
  plugins.push_back(std::make_unique<api::SystemRoutes>());
  // Access checks before the routes they guard: signed playback URLs, then webhooks.
  plugins.push_back(std::make_unique<api::auth::PlaybackGuard>());
  plugins.push_back(std::make_unique<api::webhooks::WebhooksPlugin>());
  if (config.admin.enabled) {
    auto plugin = std::make_unique<api::admin::AdminPlugin>();
    *admin = plugin.get();
    plugins.push_back(std::move(plugin));
  }
  plugins.push_back(std::make_unique<delivery::flv::FlvPlugin>(backlogLimits(config)));
  auto cmaf = std::make_unique<delivery::cmaf::CmafPlugin>(cmafSettings(config));
  plugins.push_back(std::make_unique<delivery::hls::HlsPlugin>(*cmaf));
  plugins.push_back(std::make_unique<delivery::dash::DashPlugin>(
      *cmaf, delivery::dash::DashSettings{config.dash.latencyTargetMs}));
  plugins.push_back(std::move(cmaf));
  // Social: the store mounts first and is handed to the plug-ins that use it.
  if (config.social.enabled) {
    auto stores = std::make_unique<social::store::SocialStorePlugin>();
    plugins.push_back(std::make_unique<social::graph::GraphPlugin>(*stores));
    plugins.insert(plugins.end() - 1, std::move(stores));
  }
  return plugins;
}

core::HubConfig hubConfig(const core::Config& config) {
  core::HubConfig hub;
  hub.apps.clear();
  for (const auto& app : config.apps) {
    hub.apps.push_back({app.name, app.anyKey, app.publishKeys, app.takeover});
  }
  hub.publisherTimeoutMs = config.streams.publisherTimeoutMs;
  hub.maxGopCacheBytes = config.streams.gopCacheMaxBytes;
  return hub;
}

ingest::rtmp::RtmpSettings rtmpSettings(const core::Config& config) {
  const core::RtmpConfig& c = config.rtmp;
  ingest::rtmp::RtmpSettings s;
  s.listen = c.listen;
  s.port = c.port;
  s.outChunkSize = c.chunkSize;
  s.windowAckSize = c.windowAckSize;
  s.connectTimeoutMs = c.connectTimeoutMs;
  s.commandsPerSecond = c.commandsPerSecond;
  s.maxConnections = c.maxConnections;
  s.chunkLimits = {c.maxChunkSize, c.maxMessageBytes, c.maxChunkStreams, c.maxPendingBytes};
  s.playerBacklog = backlogLimits(config);
  return s;
}

ingest::srt::SrtSettings srtSettings(const core::Config& config) {
  const core::SrtConfig& c = config.srt;
  ingest::srt::SrtSettings s;
  s.listen = c.listen;
  s.port = c.port;
  s.latencyMs = c.latencyMs;
  s.maxBandwidth = c.maxBandwidth == 0 ? -1 : static_cast<int64_t>(c.maxBandwidth);
  s.passphrase = c.passphrase;
  s.pbkeylen = c.pbkeylen;
  for (const auto& [app, passphrase] : c.appPassphrases) s.appPassphrases[app] = passphrase;
  s.maxConnections = c.maxConnections;
  s.receiveQueueBytes = c.receiveQueueBytes;
  s.loopQueuePackets = c.loopQueuePackets;
  s.handshakeTimeoutMs = c.handshakeTimeoutMs;
  s.statsIntervalMs = c.statsIntervalMs;
  s.playerBacklog = backlogLimits(config);
  return s;
}

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

Server::Server(core::Config config, std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)),
      log_(std::move(log)),
      context_{loop_, metrics_, *log_, config_},
      plugins_(makePlugins(config_, &admin_)) {}

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
  std::error_code ec;
  std::filesystem::create_directories(config_.dataDir, ec);
  if (ec) {
    return core::makeError("server.data_dir",
                           "cannot create data_dir '" + config_.dataDir + "': " + ec.message());
  }
  core::registerProcessMetrics(metrics_);
  hub_ = std::make_unique<core::StreamHub>(context_, events_, hubConfig(config_));
  transcoder_ = std::make_unique<core::transcode::Transcoder>(context_, *hub_, config_.transcode);
  if (admin_ != nullptr) admin_->setTranscoder(transcoder_.get());
  websocket_ = std::make_unique<api::WebSocketDispatcher>(context_);
  websocket_->mount(router_, "/ws");
  api::PluginContext pluginContext{context_, router_, *hub_, events_, config_, *this, *websocket_};
  for (auto& plugin : plugins_) {
    if (auto status = plugin->mount(pluginContext); !status) return status;
  }
  http_ = std::make_unique<api::HttpServer>(
      context_, [this](api::HttpRequest& request, const auto& response) {
        router_.dispatch(request, response);
      });
  if (auto status = http_->listen(config_.http.listen, config_.http.port); !status) return status;
  log_->info("http.listen addr={} port={}", config_.http.listen, http_->port());
  if (config_.rtmp.enabled || config_.rtmps.enabled) {
    rtmp_ = std::make_unique<ingest::rtmp::RtmpServer>(context_, *hub_, rtmpSettings(config_));
  }
  if (config_.rtmp.enabled) {
    if (auto status = rtmp_->listen(); !status) return status;
    log_->info("rtmp.listen addr={} port={}", config_.rtmp.listen, rtmp_->port());
  }
  if (auto status = listenTls(); !status) return status;
  if (config_.srt.enabled) {
    srt_ = std::make_unique<ingest::srt::SrtServer>(context_, *hub_, srtSettings(config_));
    if (auto status = srt_->listen(); !status) return status;
    log_->info("srt.listen addr={} port={}", config_.srt.listen, srt_->port());
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
             config_.sourcePath.empty() ? "(built-in defaults)" : config_.sourcePath);
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
  Listener listeners[] = {
      {config_.https, "https", httpsTls_,
       [this] { return http_->listenTls(config_.https.listen, config_.https.port, httpsTls_); },
       [this] { return http_->tlsPort(); }},
      {config_.rtmps, "rtmps", rtmpsTls_,
       [this] { return rtmp_->listenTls(config_.rtmps.listen, config_.rtmps.port, rtmpsTls_); },
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
  for (auto [acceptor, c, name] : {std::tuple{httpsTls_.get(), &config_.https, "https"},
                                   std::tuple{rtmpsTls_.get(), &config_.rtmps, "rtmps"}}) {
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
  log_->info("server.stopping signal={} timeout_ms={}", signum, config_.server.shutdownTimeoutMs);
  // Publishers and RTMP players first: their streams end, so HTTP viewers finish too.
  if (rtmp_) rtmp_->shutdown();
  if (srt_) srt_->shutdown();
  if (websocket_) websocket_->server().shutdown();  // close 1001, handshakes finish on their own
  http_->shutdown(config_.server.shutdownTimeoutMs, [this] {
    // Nothing else keeps the loop alive once the listeners and connections are gone.
    signals_.clear();
  });
}

void Server::reload() { (void)reloadConfig(); }

core::Result<std::vector<std::string>> Server::reloadConfig() {
  if (config_.sourcePath.empty()) {
    log_->warn("config.reload_skipped reason=\"running on built-in defaults, no file\"");
    return core::makeError("config.no_file", "running on built-in defaults: no file to reload");
  }
  // A small file read on the loop thread: reloads are rare and operator-initiated.
  auto fresh = core::loadConfigFile(config_.sourcePath);
  if (!fresh) {
    log_->error("config.reload_failed error=\"{}\"", fresh.error().message);
    return fresh.error();
  }
  std::vector<std::string> needRestart = core::applyReload(config_, *fresh);
  for (const auto& key : needRestart) log_->warn("config.reload_needs_restart key={}", key);
  core::reconfigureLogger(*log_, config_.log);
  hub_->setConfig(hubConfig(config_));
  reloadCertificates();
  log_->info("config.reloaded file={}", config_.sourcePath);
  return needRestart;
}

api::ServerControl::Connections Server::connections() const {
  return {http_ ? http_->connectionCount() : 0, rtmp_ ? rtmp_->sessionCount() : 0,
          srt_ ? srt_->sessionCount() : 0};
}

}  // namespace tidecast::server
