// Blocking HTTP GETs on one libcurl easy handle (its connection is kept alive between
// requests), for one reader thread. Body bytes are handed over as they arrive, each piece with
// the wall-clock time taken when libcurl delivered it (the write callback): that is the receive
// time of the stamps in it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tidecast::bench::latency {

struct HttpResult {
  long status = 0;    // HTTP status; 0 when no response came
  std::string error;  // transport error, empty when the transfer completed

  bool ok() const { return error.empty() && status >= 200 && status < 300; }
  std::string describe() const;  // "HTTP 404", "timeout: ...", ...
};

using BodySink = std::function<void(std::span<const uint8_t> bytes, int64_t arrivedMicros)>;

// A whole response body and when each piece of it arrived.
struct TimedBody {
  std::vector<uint8_t> bytes;
  std::vector<std::pair<size_t, int64_t>> pieces;  // (end offset, arrival time), in order

  // When the byte just before `endOffset` arrived.
  int64_t arrivalOf(size_t endOffset) const;
  std::string_view text() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // No transfer runs past this wall-clock time (microseconds since the epoch); 0: no limit.
  void setDeadline(int64_t micros) { deadline_ = micros; }

  // GET `url`; the body of a 2xx response goes to `sink` as it arrives (other bodies are
  // dropped).
  HttpResult get(const std::string& url, const BodySink& sink);
  // GET `url` into `body` (cleared first; left empty unless 2xx).
  HttpResult get(const std::string& url, TimedBody& body);

  uint64_t requests() const { return requests_; }

 private:
  void* curl_;  // CURL*
  int64_t deadline_ = 0;
  uint64_t requests_ = 0;
};

}  // namespace tidecast::bench::latency
