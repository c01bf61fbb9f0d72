// One HTTP/1.1 client connection: parses requests (llhttp), hands each to the handler with
// its HttpResponse, and writes the answers in request order. Enforces the header/idle
// timeouts, the pipelining bound and the per-connection output backlog.
// Owned by HttpServer; loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "api/http_parser.h"
#include "api/http_response.h"
#include "core/loop.h"
#include "core/tcp.h"

namespace tidecast::api {

class HttpServer;

class HttpConnection {
 public:
  HttpConnection(HttpServer& server, std::unique_ptr<core::TcpStream> stream, uint64_t id);
  ~HttpConnection();

  void start();
  // Graceful stop: answer what was asked, then close (idle connections close now).
  void drain();
  // Immediate close; held responses are told the client is gone.
  void closeNow(std::string_view reason);

  uint64_t id() const { return id_; }
  const core::PeerAddress& peer() const { return stream_->peer(); }
  bool closed() const { return closed_; }

  // Used by HttpResponse.
  bool isCurrent(const HttpResponse* response) const;
  void writeOut(core::SliceList bytes);
  void responseFinished(HttpResponse* response);
  size_t backlogBytes() const { return stream_->pendingBytes(); }
  void setWriteMerge(uint32_t withinMs) { stream_->setWriteMerge(withinMs); }
  HttpServer& server() { return server_; }

 private:
  enum class TimerMode { kNone, kHeader, kIdle, kLinger };

  void onData(std::string_view bytes);
  void onEnd(int status);
  void processInput(std::string_view bytes);
  void dispatch(HttpRequest request);
  void rejectMalformed(const HttpParseError& error);
  void advanceQueue();
  void closeAfterWrites();
  void rearmTimer();
  void onTimer();
  void handOff(HttpResponse::UpgradeFn upgrade);

  HttpServer& server_;
  std::unique_ptr<core::TcpStream> stream_;
  uint64_t id_;
  HttpRequestParser parser_;
  core::Timer timer_;
  TimerMode timerMode_ = TimerMode::kNone;
  std::deque<std::shared_ptr<HttpResponse>> queue_;
  std::string pendingInput_;  // bytes read while too many requests were waiting
  std::string upgradeInput_;  // bytes after an upgrade request's head (the new protocol's)
  bool upgradeRequested_ = false;
  bool readPaused_ = false;
  bool seenRequest_ = false;
  bool closeAfterResponses_ = false;
  bool closing_ = false;  // half-closed after the last response; waiting for the peer
  bool closed_ = false;
};

}  // namespace tidecast::api
