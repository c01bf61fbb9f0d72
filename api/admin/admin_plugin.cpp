#include "api/admin/admin_plugin.h"

#include "core/data_dir_config.h"

#include <charconv>
#include <chrono>
#include <filesystem>

#include "api/admin/admin_requests.h"
#include "api/json_error.h"
#include "api/system_routes.h"
#include "core/process_stats.h"
#include "core/stream_name.h"

namespace tidecast::api::admin {

using nlohmann::json;

namespace {

constexpr uint64_t kRateSampleMs = 1000;

int64_t nowUnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void sendJson(HttpResponse& response, int status, const json& body) {
  response.send(status, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
                {core::Slice::fromString(body.dump())});
}

std::optional<int64_t> parseId(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace

AdminPlugin::AdminPlugin() = default;
AdminPlugin::~AdminPlugin() {
  if (hub_ != nullptr) hub_->setKeyCheck(nullptr);
}

core::Status AdminPlugin::mount(PluginContext& context) {
  const AdminConfig& config = context.config.get<AdminConfig>();
  if (!config.enabled) return {};
  const std::filesystem::path dataDir = context.config.get<core::DataDirConfig>().path;
  loop_ = &context.loop;
  hub_ = &context.hub;
  server_ = &context.server;
  transcoder_ = context.services.find<core::TranscodeControl>();
  std::string tokenHash;
  if (config.tokenSha256.empty() && config.readTokenSha256.empty()) {
    std::string path = (dataDir / config.tokenFile).string();
    auto hash = loadOrCreateTokenFile(path);
    if (!hash) return hash.error();
    tokenHash = *hash;
    context.loop.log.info("admin.token_file path={} (send it as 'Authorization: Bearer <token>')",
                          path);
  }
  auth_ = std::make_unique<AdminAuth>(config, tokenHash);
  auto store = StreamKeyStore::open(context.loop.loop, (dataDir / "tidecast.db").string());
  if (!store) return store.error();
  keys_ = std::move(*store);
  context.hub.setKeyCheck(
      [this](std::string_view app, std::string_view key) { return keys_->allows(app, key); });
  rateTimer_ = std::make_unique<core::Timer>(context.loop.loop);
  rateTimer_->start(kRateSampleMs, kRateSampleMs, [this] { sampleRates(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(rateTimer_->raw()));

  context.router.add("GET", "/api/v1/openapi.yaml", [](HttpRequest&, const auto& response) {
    response->send(200, {{"Content-Type", "application/yaml"}, {"Cache-Control", "no-cache"}},
                   {core::Slice::fromStatic(openApiSpec())});
  });
  auto route = [&](std::string_view method, std::string_view pattern, Handler handler) {
    context.router.add(method, pattern,
                       [this, handler](HttpRequest& request, const auto& response) {
                         if (!auth_->admit(request, *response, loop_->loop.nowMs())) return;
                         (this->*handler)(request, response);
                       });
  };
  route("GET", "/api/v1/server", &AdminPlugin::getServer);
  route("POST", "/api/v1/server/reload", &AdminPlugin::reload);
  route("GET", "/api/v1/streams", &AdminPlugin::listStreams);
  route("GET", "/api/v1/streams/{app}/{key}", &AdminPlugin::getStream);
  route("DELETE", "/api/v1/streams/{app}/{key}", &AdminPlugin::kickStream);
  route("GET", "/api/v1/sessions", &AdminPlugin::listSessions);
  route("GET", "/api/v1/sessions/{id}", &AdminPlugin::getSession);
  route("DELETE", "/api/v1/sessions/{id}", &AdminPlugin::kickSession);
  route("GET", "/api/v1/keys", &AdminPlugin::listKeys);
  route("POST", "/api/v1/keys", &AdminPlugin::createKey);
  route("DELETE", "/api/v1/keys/{id}", &AdminPlugin::revokeKey);
  route("GET", "/api/v1/streams/{app}/{key}/transcode", &AdminPlugin::getTranscode);
  route("PUT", "/api/v1/streams/{app}/{key}/transcode", &AdminPlugin::setTranscode);
  return {};
}

namespace {

json transcodeView(const core::TranscodeState& state) {
  return {{"enabled", state.enabled},
          {"overridden", state.overridden},
          {"running", state.running},
          {"ladder", state.ladder},
          {"renditions", state.renditions},
          {"frames_in", state.framesIn},
          {"frames_dropped", state.framesDropped},
          {"queue_frames", state.queueDepth},
          {"speed", state.speed}};
}

}  // namespace

void AdminPlugin::getTranscode(HttpRequest& request,
                               const std::shared_ptr<HttpResponse>& response) {
  if (transcoder_ == nullptr) {
    return sendJsonError(*response, 404, "admin.no_transcoder", "transcoding is not available");
  }
  if (!core::StreamHub::streamName(request.param("app"), request.param("key"))) {
    return sendJsonError(*response, 400, "admin.bad_name", "invalid app or stream key");
  }
  sendJson(*response, 200,
           transcodeView(transcoder_->state(request.param("app"), request.param("key"))));
}

void AdminPlugin::setTranscode(HttpRequest& request,
                               const std::shared_ptr<HttpResponse>& response) {
  if (transcoder_ == nullptr) {
    return sendJsonError(*response, 404, "admin.no_transcoder", "transcoding is not available");
  }
  auto body = parseTranscodeRequest(request.body);
  if (!body) return sendJsonError(*response, 400, body.error().code, body.error().message);
  std::string_view app = request.param("app");
  std::string_view key = request.param("key");
  auto status = transcoder_->setEnabled(app, key, body->enabled, body->ladder);
  if (!status) {
    int code = status.error().code == "transcode.no_ladder" ? 409 : 400;
    return sendJsonError(*response, code, status.error().code, status.error().message);
  }
  loop_->log.info("admin.transcode stream={}/{} enabled={} peer={}", app,
                  core::publicStreamKey(key),
                  body->enabled ? (*body->enabled ? "true" : "false") : "default", request.peer.ip);
  sendJson(*response, 200, transcodeView(transcoder_->state(app, key)));
}

void AdminPlugin::sampleRates() {
  uint64_t now = loop_->loop.nowMs();
  std::map<std::string, uint64_t, std::less<>> bytes;
  for (const core::SessionRecord* s : hub_->sessions().list()) {
    if (s->role == core::SessionRecord::Role::kPlayer && !s->stream.empty()) {
      bytes[s->stream] += s->bytesOut;
    }
  }
  std::map<std::string, RateSample, std::less<>> next;
  for (core::Stream* stream : hub_->streams()) {
    RateSample sample{bytes[stream->name()], now, {}};
    if (auto it = rates_.find(stream->name()); it != rates_.end() && now > it->second.atMs) {
      uint64_t sent = sample.bytesOut - std::min(sample.bytesOut, it->second.bytesOut);
      sample.rates.bitrateOutBps = sent * 8000 / (now - it->second.atMs);
    }
    next.emplace(stream->name(), sample);
  }
  rates_ = std::move(next);
}

void AdminPlugin::getServer(HttpRequest&, const std::shared_ptr<HttpResponse>& response) {
  core::ProcessStats stats = core::readProcessStats();
  auto connections = server_->connections();
  double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  sendJson(*response, 200,
           {{"version", TIDECAST_VERSION},
            {"uptime_seconds", uptime},
            {"cpu_seconds", stats.cpuSeconds},
            {"rss_bytes", stats.rssBytes},
            {"connections",
             {{"http", connections.http}, {"rtmp", connections.rtmp}, {"srt", connections.srt}}},
            {"streams", hub_->streams().size()},
            {"sessions", hub_->sessions().size()}});
}

void AdminPlugin::reload(HttpRequest&, const std::shared_ptr<HttpResponse>& response) {
  auto result = server_->reloadConfig();
  if (!result) {
    return sendJsonError(*response, 409, result.error().code, result.error().message);
  }
  sendJson(*response, 200, {{"reloaded", true}, {"restart_required", *result}});
}

void AdminPlugin::listStreams(HttpRequest&, const std::shared_ptr<HttpResponse>& response) {
  json streams = json::array();
  int64_t now = nowUnixMs();
  for (core::Stream* stream : hub_->streams()) {
    auto it = rates_.find(stream->name());
    streams.push_back(
        streamView(*hub_, *stream, it == rates_.end() ? StreamRates{} : it->second.rates, now));
  }
  sendJson(*response, 200, {{"streams", streams}});
}

void AdminPlugin::getStream(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  auto name = core::StreamHub::streamName(request.param("app"), request.param("key"));
  core::Stream* stream = name ? hub_->find(*name) : nullptr;
  if (stream == nullptr)
    return sendJsonError(*response, 404, "admin.no_stream", "no such live stream");
  auto it = rates_.find(stream->name());
  sendJson(*response, 200,
           streamView(*hub_, *stream, it == rates_.end() ? StreamRates{} : it->second.rates,
                      nowUnixMs()));
}

void AdminPlugin::kickStream(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  auto name = core::StreamHub::streamName(request.param("app"), request.param("key"));
  core::Stream* stream = name ? hub_->find(*name) : nullptr;
  if (stream == nullptr)
    return sendJsonError(*response, 404, "admin.no_stream", "no such live stream");
  loop_->log.info("admin.kick_stream stream={} peer={}", core::publicStreamName(*name),
                  request.peer.ip);
  if (!hub_->sessions().kick(stream->publisherSession(), "kicked by an admin")) {
    hub_->stopPublishing(*stream, "kicked by an admin");
  }
  response->send(204, HttpHeaders{});
}

void AdminPlugin::listSessions(HttpRequest& request,
                               const std::shared_ptr<HttpResponse>& response) {
  auto role = request.queryParam("role");
  auto stream = request.queryParam("stream");
  json sessions = json::array();
  int64_t now = nowUnixMs();
  for (const core::SessionRecord* s : hub_->sessions().list()) {
    json view = sessionView(*s, now);
    if (role && view["role"] != *role) continue;
    if (stream && s->stream != *stream) continue;
    sessions.push_back(std::move(view));
  }
  sendJson(*response, 200, {{"sessions", sessions}});
}

void AdminPlugin::getSession(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  auto id = parseId(request.param("id"));
  const core::SessionRecord* session =
      id ? hub_->sessions().find(static_cast<uint64_t>(*id)) : nullptr;
  if (session == nullptr)
    return sendJsonError(*response, 404, "admin.no_session", "no such session");
  sendJson(*response, 200, sessionView(*session, nowUnixMs()));
}

void AdminPlugin::kickSession(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  auto id = parseId(request.param("id"));
  if (!id || !hub_->sessions().kick(static_cast<uint64_t>(*id), "kicked by an admin")) {
    return sendJsonError(*response, 404, "admin.no_session", "no such session");
  }
  loop_->log.info("admin.kick_session session={} peer={}", *id, request.peer.ip);
  response->send(204, HttpHeaders{});
}

void AdminPlugin::listKeys(HttpRequest&, const std::shared_ptr<HttpResponse>& response) {
  json keys = json::array();
  for (const StreamKeyInfo& key : keys_->list()) keys.push_back(keyView(key));
  sendJson(*response, 200, {{"keys", keys}});
}

void AdminPlugin::createKey(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  auto parsed = parseCreateKeyRequest(request.body);
  if (!parsed) return sendJsonError(*response, 400, parsed.error().code, parsed.error().message);
  keys_->create(
      std::move(parsed->app), std::move(parsed->label),
      [this, response](core::Result<CreatedKey> created) {
        if (!created) {
          return sendJsonError(*response, 500, created.error().code, created.error().message);
        }
        loop_->log.info("admin.key_created id={} app={}", created->info.id, created->info.app);
        json view = keyView(created->info);
        view["key"] = created->key;
        sendJson(*response, 201, view);
      });
}

void AdminPlugin::revokeKey(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  auto id = parseId(request.param("id"));
  if (!id) return sendJsonError(*response, 404, "admin.no_key", "no such key");
  keys_->revoke(*id, [this, response, id = *id](core::Result<bool> revoked) {
    if (!revoked)
      return sendJsonError(*response, 500, revoked.error().code, revoked.error().message);
    if (!*revoked) return sendJsonError(*response, 404, "admin.no_key", "no such active key");
    loop_->log.info("admin.key_revoked id={}", id);
    response->send(204, HttpHeaders{});
  });
}

}  // namespace tidecast::api::admin
