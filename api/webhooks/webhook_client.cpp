#include "api/webhooks/webhook_client.h"

#include <algorithm>
#include <mutex>

namespace tidecast::api::webhooks {

namespace {

constexpr uint32_t kMaxBackoffMs = 60000;

struct EasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
struct SlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

size_t onBody(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  size_t bytes = size * count;
  if (body->size() + bytes > kMaxWebhookResponseBytes) return 0;  // CURLE_WRITE_ERROR
  body->append(data, bytes);
  return bytes;
}

const char* statusClass(long status) {
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 300 && status < 400) return "3xx";
  if (status >= 400 && status < 500) return "4xx";
  return "5xx";
}

}  // namespace

struct WebhookClient::Transfer {
  std::string hook;
  std::string url;
  std::string body;
  WebhookSettings settings;
  Callback done;
  uint32_t attempt = 0;
  std::unique_ptr<CURL, EasyCleanup> easy;
  std::unique_ptr<curl_slist, SlistFree> headers;
  std::string response;
  char error[CURL_ERROR_SIZE] = {};
  std::unique_ptr<core::Timer> retryTimer;
  bool inMulti = false;
};

WebhookClient::WebhookClient(core::LoopContext& context) : context_(context), timer_(context.loop) {
  static std::once_flag curlInit;
  std::call_once(curlInit, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  multi_.reset(curl_multi_init());
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &WebhookClient::onSocket);
  curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &WebhookClient::onTimer);
  curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, this);
  // curl's timer alone must not keep a stopping server alive: sockets and retries do.
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_.raw()));
}

WebhookClient::~WebhookClient() {
  for (auto& [raw, transfer] : transfers_) {
    if (transfer->inMulti) curl_multi_remove_handle(multi_.get(), transfer->easy.get());
    transfer->inMulti = false;
  }
  multi_.reset();  // may still call onSocket/onTimer: polls_ and timer_ are alive
  transfers_.clear();
  polls_.clear();
}

void WebhookClient::count(const std::string& hook, const char* result) {
  context_.metrics
      .counter("tidecast_api_webhook_requests_total", "Webhook requests by hook and outcome",
               {{"hook", hook}, {"result", result}})
      .inc();
}

void WebhookClient::post(std::string hook, std::string url, std::string jsonBody,
                         const WebhookSettings& settings, Callback done) {
  auto transfer = std::make_unique<Transfer>();
  transfer->hook = std::move(hook);
  transfer->url = std::move(url);
  transfer->body = std::move(jsonBody);
  transfer->settings = settings;
  transfer->done = std::move(done);
  Transfer& t = *transfer;
  transfers_.emplace(&t, std::move(transfer));
  if (transfers_.size() > settings.maxInFlight) {
    count(t.hook, "busy");
    // Answer on a later turn, as promised: the caller may not expect re-entrancy.
    t.retryTimer = std::make_unique<core::Timer>(context_.loop);
    t.retryTimer->start(0, 0, [this, &t] {
      complete(t, core::makeError("webhook.busy", "too many webhook requests in flight"));
    });
    return;
  }
  t.easy.reset(curl_easy_init());
  t.headers.reset(curl_slist_append(nullptr, "Content-Type: application/json"));
  CURL* easy = t.easy.get();
  curl_easy_setopt(easy, CURLOPT_URL, t.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t.headers.get());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, t.body.c_str());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.body.size()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeoutMs));
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "tidecast-webhooks");
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &onBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &t.response);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t.error);
  curl_easy_setopt(easy, CURLOPT_PRIVATE, &t);
  startAttempt(t);
}

void WebhookClient::startAttempt(Transfer& transfer) {
  transfer.response.clear();
  transfer.error[0] = '\0';
  transfer.inMulti = true;
  if (CURLMcode rc = curl_multi_add_handle(multi_.get(), transfer.easy.get()); rc != CURLM_OK) {
    transfer.inMulti = false;
    count(transfer.hook, "error");
    // Not from inside post(): answer on the next turn.
    transfer.retryTimer = std::make_unique<core::Timer>(context_.loop);
    transfer.retryTimer->start(0, 0, [this, &transfer, rc] {
      complete(transfer, core::makeError("webhook.transport", curl_multi_strerror(rc)));
    });
  }
}

int WebhookClient::onTimer(CURLM*, long timeoutMs, void* client) {
  auto* self = static_cast<WebhookClient*>(client);
  if (timeoutMs < 0) {
    self->timer_.stop();
  } else {
    // Even a 0 ms timeout runs on the loop, never from inside curl's call.
    self->timer_.start(static_cast<uint64_t>(timeoutMs), 0,
                       [self] { self->socketAction(CURL_SOCKET_TIMEOUT, 0); });
  }
  return 0;
}

int WebhookClient::onSocket(CURL*, curl_socket_t socket, int what, void* client, void*) {
  auto* self = static_cast<WebhookClient*>(client);
  if (what == CURL_POLL_REMOVE) {
    self->polls_.erase(socket);  // closes the poll handle before curl closes the socket
    return 0;
  }
  auto& poll = self->polls_[socket];
  if (!poll) poll = std::make_unique<core::Poll>(self->context_.loop, socket);
  int events = 0;
  if (what & CURL_POLL_IN) events |= UV_READABLE;
  if (what & CURL_POLL_OUT) events |= UV_WRITABLE;
  auto status = poll->start(events, [self, socket](int rc, int ready) {
    int flags = 0;
    if (rc < 0) {
      flags = CURL_CSELECT_ERR;
    } else {
      if (ready & UV_READABLE) flags |= CURL_CSELECT_IN;
      if (ready & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    }
    self->socketAction(socket, flags);
  });
  if (!status) {
    self->context_.log.warn("webhook.poll_failed fd={} error=\"{}\"", socket,
                            status.error().message);
    return -1;  // curl fails the transfer
  }
  return 0;
}

void WebhookClient::socketAction(curl_socket_t socket, int flags) {
  int running = 0;
  curl_multi_socket_action(multi_.get(), socket, flags, &running);
  collectFinished();
}

void WebhookClient::collectFinished() {
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &queued)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    CURLcode code = message->data.result;
    Transfer* transfer = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &transfer);
    curl_multi_remove_handle(multi_.get(), easy);
    if (transfer == nullptr) continue;
    transfer->inMulti = false;
    finishAttempt(*transfer, code);
  }
}

void WebhookClient::finishAttempt(Transfer& transfer, CURLcode code) {
  long status = 0;
  if (code == CURLE_OK) curl_easy_getinfo(transfer.easy.get(), CURLINFO_RESPONSE_CODE, &status);
  const char* result = code == CURLE_OPERATION_TIMEDOUT ? "timeout"
                       : code != CURLE_OK               ? "error"
                                                        : statusClass(status);
  count(transfer.hook, result);
  bool retryable = code != CURLE_OK || status >= 500;
  if (retryable && transfer.attempt < transfer.settings.retries) {
    uint32_t backoff = std::min<uint64_t>(kMaxBackoffMs, uint64_t{transfer.settings.retryBackoffMs}
                                                             << std::min(transfer.attempt, 16u));
    ++transfer.attempt;
    context_.log.warn("webhook.retry hook={} url={} attempt={} result={} backoff_ms={}",
                      transfer.hook, transfer.url, transfer.attempt, result, backoff);
    transfer.retryTimer = std::make_unique<core::Timer>(context_.loop);
    transfer.retryTimer->start(backoff, 0, [this, &transfer] { startAttempt(transfer); });
    return;
  }
  if (code != CURLE_OK) {
    std::string why = transfer.error[0] != '\0' ? transfer.error : curl_easy_strerror(code);
    context_.log.warn("webhook.failed hook={} url={} attempts={} result={} error=\"{}\"",
                      transfer.hook, transfer.url, transfer.attempt + 1, result, why);
    return complete(
        transfer,
        core::makeError(code == CURLE_OPERATION_TIMEDOUT ? "webhook.timeout" : "webhook.transport",
                        why));
  }
  context_.log.debug("webhook.done hook={} url={} status={}", transfer.hook, transfer.url, status);
  complete(transfer, WebhookResponse{status, std::move(transfer.response)});
}

void WebhookClient::complete(Transfer& transfer, core::Result<WebhookResponse> result) {
  auto it = transfers_.find(&transfer);
  if (it == transfers_.end()) return;
  std::unique_ptr<Transfer> owned = std::move(it->second);
  transfers_.erase(it);
  Callback done = std::move(owned->done);
  owned.reset();  // a Timer may be destroyed from its own callback (core/loop.h)
  if (done) done(std::move(result));
}

}  // namespace tidecast::api::webhooks
