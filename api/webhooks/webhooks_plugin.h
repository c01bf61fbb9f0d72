// The webhooks of the `webhooks:` config section, wired to the hub:
//   on_publish       an access authorizer for publishes: 2xx allows (a JSON {"stream": "k"}
//                    answer renames the stream key), any other answer, a timeout or an error
//                    after the retries denies
//   on_play          an access authorizer for RTMP and HTTP-FLV players: 2xx allows, else denies
//   on_publish_done  notify, from stream.stopped
//   on_play_done     notify, from player.left
// Bodies: {"event","app","key","stream","session","protocol","peer","reason","query","time"}
// (time: unix milliseconds). URLs and timeouts are read from the live config at each event,
// so a reload applies to the next one; an empty URL skips that hook. Loop thread only.
#pragma once

#include <memory>
#include <string>

#include "api/plugin.h"
#include "api/webhooks/webhook_client.h"
#include "core/stream_hub.h"

namespace tidecast::api::webhooks {

class WebhooksPlugin final : public Plugin {
 public:
  WebhooksPlugin() = default;
  ~WebhooksPlugin() override;
  std::string_view name() const override { return "webhooks"; }
  core::Status mount(PluginContext& context) override;

 private:
  void authorize(const char* hook, const core::AccessRequest& request, core::AccessDone done);
  void notify(const char* hook, const core::Event& event);
  WebhookSettings settings() const;

  core::LoopContext* context_ = nullptr;
  core::StreamHub* hub_ = nullptr;
  core::EventBus* events_ = nullptr;
  std::unique_ptr<WebhookClient> client_;
  std::vector<uint64_t> authorizers_;
  std::vector<core::EventBus::SubscriptionId> subscriptions_;
};

// The JSON body of a webhook request.
std::string webhookBody(std::string_view event, std::string_view stream, uint64_t session,
                        std::string_view protocol, std::string_view peer, std::string_view reason,
                        std::string_view query, int64_t unixMs);

}  // namespace tidecast::api::webhooks
