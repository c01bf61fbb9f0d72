#include "api/webhooks/webhooks_plugin.h"

#include "api/webhooks/webhooks_config.h"

#include <nlohmann/json.hpp>

#include "api/auth/user_auth.h"
#include "api/webhooks/webhook_answer.h"

namespace tidecast::api::webhooks {

using core::AccessRequest;

std::string webhookBody(std::string_view event, std::string_view stream, uint64_t session,
                        std::string_view protocol, std::string_view peer, std::string_view reason,
                        std::string_view query, int64_t unixMs) {
  size_t slash = stream.find('/');
  nlohmann::json body{
      {"event", event},
      {"app", stream.substr(0, slash)},
      {"key", slash == std::string_view::npos ? std::string_view() : stream.substr(slash + 1)},
      {"stream", stream},
      {"session", session},
      {"protocol", protocol},
      {"peer", peer},
      {"reason", reason},
      {"query", query},
      {"time", unixMs},
  };
  // A query is client bytes: invalid UTF-8 is replaced, never thrown about.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

WebhooksPlugin::~WebhooksPlugin() {
  if (hub_ != nullptr) {
    for (uint64_t id : authorizers_) hub_->removeAuthorizer(id);
  }
  if (events_ != nullptr) {
    for (auto id : subscriptions_) events_->unsubscribe(id);
  }
}

core::Status WebhooksPlugin::mount(PluginContext& context) {
  context_ = &context.loop;
  hub_ = &context.hub;
  events_ = &context.events;
  client_ = std::make_unique<WebhookClient>(context.loop);
  authorizers_.push_back(hub_->addAuthorizer(
      AccessRequest::Kind::kPublish, [this](const AccessRequest& request, core::AccessDone done) {
        authorize("on_publish", request, std::move(done));
      }));
  authorizers_.push_back(hub_->addAuthorizer(
      AccessRequest::Kind::kPlay, [this](const AccessRequest& request, core::AccessDone done) {
        authorize("on_play", request, std::move(done));
      }));
  subscriptions_.push_back(events_->subscribe(
      "stream.stopped", [this](const core::Event& event) { notify("on_publish_done", event); }));
  subscriptions_.push_back(events_->subscribe(
      "player.left", [this](const core::Event& event) { notify("on_play_done", event); }));
  return {};
}

WebhookSettings WebhooksPlugin::settings() const {
  const WebhooksConfig& c = context_->config.get<WebhooksConfig>();
  return {c.timeoutMs, c.retries, c.retryBackoffMs, c.maxInFlight};
}

void WebhooksPlugin::authorize(const char* hook, const AccessRequest& request,
                               core::AccessDone done) {
  const WebhooksConfig& c = context_->config.get<WebhooksConfig>();
  const std::string& url = request.kind == AccessRequest::Kind::kPublish ? c.onPublish : c.onPlay;
  if (url.empty()) return done(request.key);
  std::string body =
      webhookBody(hook, request.app + "/" + request.key, request.session, request.protocol,
                  request.peer, "", request.query, auth::unixNowMs());
  bool publish = request.kind == AccessRequest::Kind::kPublish;
  client_->post(
      hook, url, std::move(body), settings(),
      [hook, key = request.key, publish,
       done = std::move(done)](core::Result<WebhookResponse> answer) {
        if (!answer) return done(answer.error());
        if (answer->status < 200 || answer->status > 299) {
          return done(core::makeError(
              "webhook.denied", std::string(hook) + " answered " + std::to_string(answer->status)));
        }
        if (!publish) return done(key);
        auto renamed = parsePublishAnswer(answer->body);
        if (!renamed) return done(renamed.error());
        done(renamed->value_or(key));
      });
}

void WebhooksPlugin::notify(const char* hook, const core::Event& event) {
  const WebhooksConfig& c = context_->config.get<WebhooksConfig>();
  const std::string& url =
      std::string_view(hook) == "on_publish_done" ? c.onPublishDone : c.onPlayDone;
  if (url.empty()) return;
  client_->post(hook, url,
                webhookBody(hook, event.stream, event.session, event.protocol, event.peer,
                            event.reason, "", auth::unixNowMs()),
                settings(), [](core::Result<WebhookResponse>) {});
}

}  // namespace tidecast::api::webhooks
