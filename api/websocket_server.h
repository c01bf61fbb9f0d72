// The WebSocket side of one loop: upgrades HTTP requests on the routes that ask for it, owns
// the resulting connections, enforces websocket.max_connections and keeps the
// tidecast_api_websocket_* metrics. Any plug-in can serve WebSockets on a route of its own:
//
//   router.add("GET", "/chat/{room}", websockets.endpoint(myHandler));
//
// (the JSON envelope dispatcher at /ws is one such endpoint). Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "api/http_server.h"
#include "api/websocket_config.h"
#include "api/websocket_connection.h"
#include "core/graveyard.h"
#include "core/loop_context.h"

namespace tidecast::api {

class WebSocketServer {
 public:
  explicit WebSocketServer(core::LoopContext& context);
  ~WebSocketServer();
  WebSocketServer(const WebSocketServer&) = delete;
  WebSocketServer& operator=(const WebSocketServer&) = delete;

  // An HTTP handler (for GET routes) that checks the opening handshake, answers 101 and hands
  // the connection to `handler`, or answers 400/426 (bad handshake) or 503 (connection limit,
  // shutting down) with a JSON error. `handler` must outlive this server.
  HttpHandler endpoint(WebSocketHandler& handler);

  // Graceful stop: no more upgrades; every open connection is closed with 1001. Connections
  // finish their close handshake within websocket.close_timeout_ms.
  void shutdown();
  size_t connectionCount() const { return connections_.size(); }

  // Used by connections.
  core::LoopContext& context() { return context_; }
  const WebSocketConfig& config() const { return context_.config.get<WebSocketConfig>(); }
  void release(WebSocketConnection& connection);
  void countMessageIn(size_t bytes);
  void countMessageOut(size_t bytes);
  void countClose(uint16_t code);

 private:
  void upgrade(HttpRequest& request, const std::shared_ptr<HttpResponse>& response,
               WebSocketHandler& handler);
  void adopt(WebSocketHandler& handler, std::unique_ptr<core::TcpStream> stream,
             HttpRequest request, std::string bufferedInput);

  core::LoopContext& context_;
  std::unordered_map<uint64_t, std::unique_ptr<WebSocketConnection>> connections_;
  core::Graveyard<WebSocketConnection> graveyard_;
  uint64_t nextId_ = 1;
  bool shuttingDown_ = false;

  core::Counter& upgrades_;
  core::Counter& messagesIn_;
  core::Counter& messagesOut_;
  core::Counter& bytesIn_;
  core::Counter& bytesOut_;
  std::unordered_map<uint16_t, core::Counter*> closesByCode_;
};

}  // namespace tidecast::api
