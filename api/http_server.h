// The HTTP/1.1 server: one listener on one loop, its connections, their limits and metrics.
// Requests go to one handler (normally Router::dispatch). Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http_config.h"
#include "api/http_connection.h"
#include "core/graveyard.h"
#include "core/loop_context.h"
#include "core/tcp.h"
#include "core/tls_context.h"

namespace tidecast::api {

using HttpHandler =
    std::function<void(HttpRequest& request, const std::shared_ptr<HttpResponse>& response)>;

class HttpServer {
 public:
  HttpServer(core::LoopContext& context, HttpHandler handler);
  ~HttpServer();

  core::Status listen(const std::string& host, uint16_t port);
  uint16_t port() const { return listener_ ? listener_->boundPort() : 0; }
  // A second, HTTPS listener: the same handler, limits and connections (WebSocket upgrades on
  // it are WSS). TLS lives in the stream (core/tcp.h); nothing above it changes.
  core::Status listenTls(const std::string& host, uint16_t port,
                         std::shared_ptr<core::TlsAcceptor> tls);
  uint16_t tlsPort() const { return tlsListener_ ? tlsListener_->boundPort() : 0; }

  // Stops accepting and lets connections finish what they were asked; `done` runs once no
  // connection is left. Connections still open after `timeoutMs` are closed.
  void shutdown(uint64_t timeoutMs, std::function<void()> done);
  bool shuttingDown() const { return shuttingDown_; }
  size_t connectionCount() const { return connections_.size(); }

  // Used by connections.
  core::LoopContext& context() { return context_; }
  const HttpLimits& limits() const { return context_.config.get<HttpConfig>().limits; }
  void handle(HttpRequest& request, const std::shared_ptr<HttpResponse>& response);
  std::string_view dateHeader();
  // "Server: …\r\nDate: …\r\n" plus the CORS header when configured, cached per second.
  std::string_view commonHeaders();
  void release(HttpConnection& connection);
  void countResponse(int status, size_t headBytes);
  void countBadRequest(std::string_view code);

 private:
  void accept(std::unique_ptr<core::TcpStream> stream);
  bool admit(const core::PeerAddress& peer, std::string& reason);
  void closeAll(std::string_view reason);

  core::LoopContext& context_;
  HttpHandler handler_;
  std::unique_ptr<core::TcpListener> listener_;
  std::unique_ptr<core::TcpListener> tlsListener_;
  std::unordered_map<uint64_t, std::unique_ptr<HttpConnection>> connections_;
  std::unordered_map<std::string, uint32_t> perIp_;
  core::Graveyard<HttpConnection> graveyard_;
  core::Timer shutdownTimer_;
  core::Timer refusedTimer_;
  std::vector<std::unique_ptr<core::TcpStream>> refused_;
  std::function<void()> onDrained_;
  uint64_t nextId_ = 1;
  bool shuttingDown_ = false;
  int64_t dateSecond_ = -1;
  std::string date_;
  std::string common_;
  int64_t commonSecond_ = -1;
  std::string commonCors_;

  core::Counter& accepted_;
  core::Counter& rejectedTotal_;
  core::Counter& rejectedPerIp_;
  core::Counter* responsesByClass_[6] = {};
  core::Counter& bytesHead_;
};

}  // namespace tidecast::api
