#include "api/webhooks/webhooks_config.h"

namespace tidecast::api::webhooks {

using core::Reload;

const core::ConfigSection& webhooksConfigSection() {
  using C = WebhooksConfig;
  using B = core::SectionBuilder<C>;
  static const core::ConfigSection section =
      B("webhooks",
        "Outgoing webhooks: HTTP POSTs with a JSON body (see README \"Webhooks\"), sent through "
        "libcurl on the event loop (never blocking it). An empty URL disables that hook. The "
        "next event uses reloaded values.")
          .text("on_publish", &C::onPublish, B::Empty::kAllowed, Reload::kLive,
                "Asked before a publish: 2xx allows ({\"stream\": \"<key>\"} in the answer "
                "renames the stream), anything else, a timeout or an error after the retries "
                "denies (NetStream.Publish.Denied).")
          .text("on_publish_done", &C::onPublishDone, B::Empty::kAllowed, Reload::kLive,
                "Sent when a stream stops (notify).")
          .text("on_play", &C::onPlay, B::Empty::kAllowed, Reload::kLive,
                "Asked before an RTMP or HTTP-FLV player joins: 2xx allows, anything else "
                "denies (RTMP NetStream.Play.Failed, HTTP 403). LL-HLS/DASH requests are not "
                "asked.")
          .text("on_play_done", &C::onPlayDone, B::Empty::kAllowed, Reload::kLive,
                "Sent when an RTMP or HTTP-FLV player leaves (notify).")
          .integer("timeout_ms", &C::timeoutMs, 10, 600000, "ms", Reload::kLive, "Per attempt.")
          .integer("retries", &C::retries, 0, 10, "", Reload::kLive,
                   "Extra attempts after a transport error, a timeout or a 5xx answer.")
          .integer("retry_backoff_ms", &C::retryBackoffMs, 0, 600000, "ms", Reload::kLive,
                   "Wait before the first retry, doubled for each further one.")
          .integer("max_in_flight", &C::maxInFlight, 1, 100000, "", Reload::kLive,
                   "Webhook requests in flight at once; past it a gating hook denies at once.")
          .build();
  return section;
}

}  // namespace tidecast::api::webhooks
