#include "api/http_connection.h"

#include <spdlog/spdlog.h>

#include "api/http_server.h"
#include "api/json_error.h"

namespace tidecast::api {

namespace {
constexpr uint64_t kLingerMs = 2000;  // wait for the peer's FIN after our last response
}

HttpConnection::HttpConnection(HttpServer& server, std::unique_ptr<core::TcpStream> stream,
                               uint64_t id)
    : server_(server),
      stream_(std::move(stream)),
      id_(id),
      parser_({server.limits().maxHeaderBytes, server.limits().maxBodyBytes}),
      timer_(stream_->loop()) {}

HttpConnection::~HttpConnection() {
  for (auto& response : queue_) response->detach();
}

void HttpConnection::start() {
  stream_->startRead([this](std::string_view bytes) { onData(bytes); },
                     [this](int status) { onEnd(status); });
  rearmTimer();
}

void HttpConnection::onData(std::string_view bytes) {
  if (closing_ || closed_) return;  // after our last response nothing more is read
  if (upgradeRequested_) {
    // Bytes of the protocol asked for, kept for it until the upgrade is answered.
    upgradeInput_.append(bytes);
    if (upgradeInput_.size() > server_.limits().maxHeaderBytes) stream_->stopRead();
    return;
  }
  processInput(bytes);
  rearmTimer();
}

void HttpConnection::processInput(std::string_view bytes) {
  while (!bytes.empty() && !closed_ && !closeAfterResponses_) {
    if (!parser_.inMessage()) {
      // Limits reloaded by SIGHUP apply to open keep-alive connections from their next
      // request on; a request already being read keeps the limits it started with.
      const HttpLimits& limits = server_.limits();
      parser_.setLimits({limits.maxHeaderBytes, limits.maxBodyBytes});
    }
    if (queue_.size() >= server_.limits().maxPipelined) {
      // Too many requests waiting for answers: stop reading until some are answered.
      pendingInput_.append(bytes);
      if (!readPaused_) stream_->stopRead();
      readPaused_ = true;
      return;
    }
    auto step = parser_.parse(bytes);
    bytes.remove_prefix(step.consumed);
    if (step.state == HttpRequestParser::State::kRequest) {
      HttpRequest request = parser_.takeRequest();
      if (request.upgrade) {
        // Whatever follows the head belongs to the new protocol, if the upgrade is accepted;
        // otherwise the connection closes after the answer (HttpResponse closesConnection).
        upgradeRequested_ = true;
        upgradeInput_.assign(bytes);
      }
      dispatch(std::move(request));
    } else if (step.state == HttpRequestParser::State::kError) {
      rejectMalformed(parser_.error());
      return;
    } else {
      if (parser_.takeExpectContinue() && queue_.empty()) {
        stream_->write(core::Slice::fromStatic("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      return;
    }
  }
}

void HttpConnection::dispatch(HttpRequest request) {
  timerMode_ = TimerMode::kNone;  // the next request gets its own header deadline
  timer_.stop();
  seenRequest_ = true;
  request.peer = stream_->peer();
  auto response = std::make_shared<HttpResponse>(this, request);
  queue_.push_back(response);
  if (response->closesConnection()) closeAfterResponses_ = true;
  server_.handle(request, response);
}

void HttpConnection::rejectMalformed(const HttpParseError& error) {
  server_.countBadRequest(error.code);
  server_.context().log.debug("http.reject conn={} peer={} status={} code={} reason=\"{}\"", id_,
                              stream_->peer().ip, error.status, error.code, error.reason);
  HttpRequest request;
  request.keepAlive = false;
  auto response = std::make_shared<HttpResponse>(this, request);
  queue_.push_back(response);
  closeAfterResponses_ = true;
  pendingInput_.clear();
  sendJsonError(*response, error.status, error.code, error.reason);
}

bool HttpConnection::isCurrent(const HttpResponse* response) const {
  return !queue_.empty() && queue_.front().get() == response;
}

void HttpConnection::writeOut(core::SliceList bytes) {
  if (closed_) return;
  if (stream_->pendingBytes() > server_.limits().maxResponseBacklogBytes) {
    closeNow("client too slow: output backlog over the limit");
    return;
  }
  stream_->write(bytes);
}

void HttpConnection::responseFinished(HttpResponse* response) {
  if (!isCurrent(response)) return;
  stream_->setWriteMerge(0);  // the next response flushes every turn again
  advanceQueue();
}

void HttpConnection::advanceQueue() {
  while (!closed_ && !queue_.empty() && queue_.front()->finished()) {
    bool closes = queue_.front()->closesConnection();
    auto upgrade = queue_.front()->takeUpgrade();
    queue_.pop_front();
    if (upgrade) {
      handOff(std::move(upgrade));
      return;
    }
    if (closes) {
      closeAfterWrites();
      return;
    }
    if (!queue_.empty()) writeOut(queue_.front()->takeBuffered());
  }
  if (closed_) return;
  if (closeAfterResponses_ && queue_.empty()) {
    closeAfterWrites();
    return;
  }
  if (readPaused_ && queue_.size() < server_.limits().maxPipelined) {
    readPaused_ = false;
    std::string input = std::move(pendingInput_);
    pendingInput_.clear();
    processInput(input);
    if (!readPaused_ && !closed_ && !closing_) stream_->resumeRead();
  }
  rearmTimer();
}

void HttpConnection::drain() {
  closeAfterResponses_ = true;
  if (queue_.empty()) closeAfterWrites();
}

void HttpConnection::closeAfterWrites() {
  if (closing_ || closed_) return;
  closing_ = true;
  for (auto& response : queue_) response->detach();
  queue_.clear();
  stream_->shutdownAfterWrites();
  timerMode_ = TimerMode::kLinger;
  timer_.start(kLingerMs, 0, [this] { onTimer(); });
}

void HttpConnection::onEnd(int status) {
  // The peer closed (or the socket failed). Answers already queued still go out; held and
  // streaming responses have nobody to go to.
  if (closing_ || status != UV_EOF || !queue_.empty()) {
    closeNow(status == UV_EOF ? "peer closed" : uv_err_name(status));
    return;
  }
  if (stream_->pendingBytes() == 0) {
    closeNow("peer closed");
    return;
  }
  closing_ = true;
  stream_->setOnDrain([this] { closeNow("peer closed"); });
}

void HttpConnection::closeNow(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  server_.context().log.debug("http.close conn={} peer={} reason=\"{}\"", id_, stream_->peer().ip,
                              reason);
  auto responses = std::move(queue_);
  queue_.clear();
  for (auto& response : responses) response->detach();
  timer_.close();
  stream_->close();
  server_.release(*this);  // destroyed later, outside this call stack
}

void HttpConnection::handOff(HttpResponse::UpgradeFn upgrade) {
  // The 101 is written (queued on the stream); the socket now belongs to the new protocol.
  closed_ = true;
  for (auto& response : queue_) response->detach();
  queue_.clear();
  timer_.close();
  stream_->stopRead();
  server_.context().log.debug("http.upgrade conn={} peer={}", id_, stream_->peer().ip);
  server_.release(*this);  // reads peer(): before the stream moves on
  upgrade(std::move(stream_), std::move(upgradeInput_));
}

void HttpConnection::rearmTimer() {
  if (closed_ || closing_) return;
  const HttpLimits& limits = server_.limits();
  TimerMode want = TimerMode::kIdle;
  if (parser_.inMessage() || (!seenRequest_ && queue_.empty())) {
    want = TimerMode::kHeader;
  } else if (!queue_.empty()) {
    want = TimerMode::kNone;
  }
  if (want == timerMode_) return;  // a running header deadline is not pushed back by more bytes
  timerMode_ = want;
  if (want == TimerMode::kNone) {
    timer_.stop();
    return;
  }
  uint64_t ms = want == TimerMode::kHeader ? limits.headerTimeoutMs : limits.idleTimeoutMs;
  timer_.start(ms, 0, [this] { onTimer(); });
}

void HttpConnection::onTimer() {
  switch (timerMode_) {
    case TimerMode::kHeader:
      if (queue_.empty()) {
        rejectMalformed({408, "http.request_timeout", "request not received in time"});
        return;
      }
      closeNow("request timeout");
      return;
    case TimerMode::kIdle:
      closeNow("idle timeout");
      return;
    case TimerMode::kLinger:
      closeNow("linger timeout");
      return;
    case TimerMode::kNone:
      return;
  }
}

}  // namespace tidecast::api
