#include "bench/latency/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <stdexcept>

#include "bench/latency/wall_clock.h"

namespace tidecast::bench::latency {
namespace {

// A held LL-HLS blocking reload or a DASH segment sent while it is produced can take seconds;
// a request beyond this is broken.
constexpr long kRequestTimeoutMs = 15000;
constexpr long kConnectTimeoutMs = 3000;

struct Transfer {
  CURL* curl;
  const BodySink* sink;
  long status = 0;
};

size_t onWrite(char* data, size_t size, size_t count, void* user) {
  int64_t now = wallMicros();
  auto* transfer = static_cast<Transfer*>(user);
  if (transfer->status == 0)
    curl_easy_getinfo(transfer->curl, CURLINFO_RESPONSE_CODE, &transfer->status);
  size_t bytes = size * count;
  if (transfer->status >= 200 && transfer->status < 300) {
    (*transfer->sink)(std::span(reinterpret_cast<const uint8_t*>(data), bytes), now);
  }
  return bytes;
}

}  // namespace

std::string HttpResult::describe() const {
  if (!error.empty()) return error;
  return "HTTP " + std::to_string(status);
}

int64_t TimedBody::arrivalOf(size_t endOffset) const {
  auto it = std::lower_bound(pieces.begin(), pieces.end(), endOffset,
                             [](const auto& piece, size_t offset) { return piece.first < offset; });
  if (it == pieces.end()) return pieces.empty() ? 0 : pieces.back().second;
  return it->second;
}

HttpClient::HttpClient() : curl_(curl_easy_init()) {
  if (curl_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "tidecast-latency");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onWrite);
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

HttpResult HttpClient::get(const std::string& url, const BodySink& sink) {
  HttpResult result;
  long timeoutMs = kRequestTimeoutMs;
  if (deadline_ != 0) {
    timeoutMs = std::min<long>(timeoutMs, static_cast<long>((deadline_ - wallMicros()) / 1000));
    if (timeoutMs <= 0) {
      result.error = "deadline reached";
      return result;
    }
  }
  CURL* curl = static_cast<CURL*>(curl_);
  Transfer transfer{curl, &sink};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeoutMs);
  ++requests_;
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
  if (rc != CURLE_OK) result.error = std::string(curl_easy_strerror(rc));
  return result;
}

HttpResult HttpClient::get(const std::string& url, TimedBody& body) {
  body.bytes.clear();
  body.pieces.clear();
  return get(url, [&body](std::span<const uint8_t> bytes, int64_t arrived) {
    body.bytes.insert(body.bytes.end(), bytes.begin(), bytes.end());
    body.pieces.emplace_back(body.bytes.size(), arrived);
  });
}

}  // namespace tidecast::bench::latency
