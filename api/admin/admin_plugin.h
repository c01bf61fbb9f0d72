// The admin REST API under /api/v1 (spec: api/openapi.yaml, served at
// /api/v1/openapi.yaml): live streams and their stats, sessions, kicking either, stream keys
// (created, listed, revoked; kept in SQLite), server figures and config reload. Bearer-token
// auth and rate limits in AdminAuth. Mounted like any other plug-in.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/admin/admin_auth.h"
#include "api/admin/admin_views.h"
#include "api/admin/stream_key_store.h"
#include "api/plugin.h"
#include "core/loop.h"
#include "core/transcode_control.h"

namespace tidecast::api::admin {

class AdminPlugin final : public Plugin {
 public:
  AdminPlugin();
  ~AdminPlugin() override;
  std::string_view name() const override { return "admin"; }
  // The in-process transcoder the per-stream switch drives, when a plug-in offers one.
  std::vector<ServiceNeed> needs() const override {
    return {{service<core::TranscodeControl>(), /*optional=*/true}};
  }
  // With admin.enabled false, mounts nothing.
  core::Status mount(PluginContext& context) override;

 private:
  using Handler = void (AdminPlugin::*)(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void sampleRates();

  void getServer(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void reload(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void listStreams(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void getStream(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void kickStream(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void listSessions(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void getSession(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void kickSession(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void listKeys(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void createKey(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void revokeKey(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void getTranscode(HttpRequest&, const std::shared_ptr<HttpResponse>&);
  void setTranscode(HttpRequest&, const std::shared_ptr<HttpResponse>&);

  // What mount() was given (the PluginContext itself does not outlive mount()).
  core::LoopContext* loop_ = nullptr;
  core::StreamHub* hub_ = nullptr;
  ServerControl* server_ = nullptr;
  core::TranscodeControl* transcoder_ = nullptr;
  std::unique_ptr<AdminAuth> auth_;
  std::unique_ptr<StreamKeyStore> keys_;
  std::unique_ptr<core::Timer> rateTimer_;
  struct RateSample {
    uint64_t bytesOut = 0;
    uint64_t atMs = 0;
    StreamRates rates;
  };
  std::map<std::string, RateSample, std::less<>> rates_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// The OpenAPI document (api/openapi.yaml), embedded at build time.
std::string_view openApiSpec();

}  // namespace tidecast::api::admin
