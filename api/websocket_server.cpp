#include "api/websocket_server.h"

#include <vector>

#include "api/json_error.h"
#include "api/websocket_handshake.h"

namespace tidecast::api {

namespace {
constexpr const char* kConnectionsGauge = "tidecast_api_websocket_connections";
}

WebSocketServer::WebSocketServer(core::LoopContext& context)
    : context_(context),
      graveyard_(context.loop),
      upgrades_(context.metrics.counter("tidecast_api_websocket_upgrades_total",
                                        "HTTP connections upgraded to WebSocket")),
      messagesIn_(context.metrics.counter("tidecast_api_websocket_messages_total",
                                          "WebSocket messages (text and binary)",
                                          {{"direction", "in"}})),
      messagesOut_(context.metrics.counter("tidecast_api_websocket_messages_total",
                                           "WebSocket messages (text and binary)",
                                           {{"direction", "out"}})),
      bytesIn_(context.metrics.counter("tidecast_api_websocket_message_bytes_total",
                                       "Payload bytes of WebSocket messages",
                                       {{"direction", "in"}})),
      bytesOut_(context.metrics.counter("tidecast_api_websocket_message_bytes_total",
                                        "Payload bytes of WebSocket messages (frames for out)",
                                        {{"direction", "out"}})) {
  context.metrics.gaugeCallback(kConnectionsGauge, "Open WebSocket connections",
                                [this] { return static_cast<double>(connections_.size()); });
}

WebSocketServer::~WebSocketServer() {
  std::vector<WebSocketConnection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection.get());
  for (auto* connection : open) connection->closeNow("server destroyed");
  graveyard_.clear();
  context_.metrics.remove(kConnectionsGauge);
}

HttpHandler WebSocketServer::endpoint(WebSocketHandler& handler) {
  return [this, &handler](HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
    upgrade(request, response, handler);
  };
}

void WebSocketServer::upgrade(HttpRequest& request, const std::shared_ptr<HttpResponse>& response,
                              WebSocketHandler& handler) {
  WebSocketHandshake handshake = checkWebSocketHandshake(request);
  if (!handshake.ok) {
    context_.metrics
        .counter("tidecast_api_websocket_handshake_failures_total",
                 "WebSocket upgrade requests refused", {{"code", handshake.code}})
        .inc();
    sendJsonError(*response, handshake.status, handshake.code, handshake.message,
                  std::move(handshake.headers));
    return;
  }
  if (shuttingDown_) {
    sendJsonError(*response, 503, "ws.shutting_down", "the server is shutting down");
    return;
  }
  if (connections_.size() >= config().maxConnections) {
    context_.metrics
        .counter("tidecast_api_websocket_handshake_failures_total",
                 "WebSocket upgrade requests refused", {{"code", "ws.too_many_connections"}})
        .inc();
    sendJsonError(
        *response, 503, "ws.too_many_connections",
        "WebSocket connection limit (" + std::to_string(config().maxConnections) + ") reached");
    return;
  }
  request.body.clear();
  response->upgrade(std::move(handshake.headers), [this, &handler, request](
                                                      std::unique_ptr<core::TcpStream> stream,
                                                      std::string bufferedInput) mutable {
    adopt(handler, std::move(stream), std::move(request), std::move(bufferedInput));
  });
}

void WebSocketServer::adopt(WebSocketHandler& handler, std::unique_ptr<core::TcpStream> stream,
                            HttpRequest request, std::string bufferedInput) {
  upgrades_.inc();
  const uint64_t id = nextId_++;
  auto connection = std::make_unique<WebSocketConnection>(*this, handler, std::move(stream),
                                                          std::move(request), id);
  WebSocketConnection& ref = *connection;
  connections_.emplace(id, std::move(connection));
  ref.start(bufferedInput);
  if (shuttingDown_) ref.close(ws_close::kGoingAway, "server shutting down");
}

void WebSocketServer::shutdown() {
  shuttingDown_ = true;
  std::vector<WebSocketConnection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection.get());
  for (auto* connection : open) connection->close(ws_close::kGoingAway, "server shutting down");
}

void WebSocketServer::release(WebSocketConnection& connection) {
  auto it = connections_.find(connection.id());
  if (it == connections_.end()) return;
  graveyard_.bury(std::move(it->second));
  connections_.erase(it);
}

void WebSocketServer::countMessageIn(size_t bytes) {
  messagesIn_.inc();
  bytesIn_.inc(bytes);
}

void WebSocketServer::countMessageOut(size_t bytes) {
  messagesOut_.inc();
  bytesOut_.inc(bytes);
}

void WebSocketServer::countClose(uint16_t code) {
  // Codes a peer may choose freely (3000-4999) share one series per thousand, so clients
  // cannot create series at will.
  if (code >= 3000) code = code < 4000 ? 3000 : 4000;
  auto [it, added] = closesByCode_.try_emplace(code, nullptr);
  if (added) {
    std::string label = code == 3000   ? "3000-3999"
                        : code == 4000 ? "4000-4999"
                                       : std::to_string(code);
    it->second = &context_.metrics.counter("tidecast_api_websocket_closes_total",
                                           "WebSocket connections closed, by close code",
                                           {{"code", std::move(label)}});
  }
  it->second->inc();
}

}  // namespace tidecast::api
