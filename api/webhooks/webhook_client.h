// Outgoing HTTP POSTs with JSON bodies (webhooks), through libcurl's multi interface driven
// by the libuv loop: curl tells us which sockets to watch (a core::Poll each) and when to
// call it back (one core::Timer); nothing ever blocks the loop. Each request has a timeout;
// transport errors, timeouts and 5xx answers are retried with exponential backoff; the
// callback gets the last answer (any status) or the last transport error.
//
// Metrics: tidecast_api_webhook_requests_total{hook,result}, one per attempt, result one of
// 2xx|3xx|4xx|5xx|timeout|error|busy.
//
// Loop thread only. Destroying the client drops what is in flight without calling back.
// Connections are not reused (no idle sockets keep a stopping loop alive).
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/loop.h"
#include "core/loop_context.h"
#include "core/result.h"

namespace tidecast::api::webhooks {

inline constexpr size_t kMaxWebhookResponseBytes = 64 * 1024;  // a longer answer is an error

struct WebhookSettings {
  uint32_t timeoutMs = 3000;      // per attempt
  uint32_t retries = 1;           // attempts after the first
  uint32_t retryBackoffMs = 500;  // before the first retry; doubled each time
  uint32_t maxInFlight = 256;     // past it post() fails at once with webhook.busy
};

struct WebhookResponse {
  long status = 0;
  std::string body;
};

class WebhookClient {
 public:
  // Error codes: webhook.timeout, webhook.transport (connect refused, bad URL, answer too
  // long…), webhook.busy.
  using Callback = std::function<void(core::Result<WebhookResponse>)>;

  explicit WebhookClient(core::LoopContext& context);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  // POSTs `jsonBody` to `url` (http or https). `hook` labels metrics and logs. `done` runs
  // exactly once, later, on the loop (never from inside post()).
  void post(std::string hook, std::string url, std::string jsonBody,
            const WebhookSettings& settings, Callback done);
  size_t inFlight() const { return transfers_.size(); }

 private:
  struct Transfer;
  struct MultiCleanup {
    void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
  };

  static int onSocket(CURL* easy, curl_socket_t socket, int what, void* client, void* socketp);
  static int onTimer(CURLM* multi, long timeoutMs, void* client);
  void socketAction(curl_socket_t socket, int flags);
  void collectFinished();
  void startAttempt(Transfer& transfer);
  void finishAttempt(Transfer& transfer, CURLcode code);
  void complete(Transfer& transfer, core::Result<WebhookResponse> result);
  void count(const std::string& hook, const char* result);

  core::LoopContext& context_;
  std::unique_ptr<CURLM, MultiCleanup> multi_;
  core::Timer timer_;
  std::map<curl_socket_t, std::unique_ptr<core::Poll>> polls_;
  std::map<Transfer*, std::unique_ptr<Transfer>> transfers_;
};

}  // namespace tidecast::api::webhooks
