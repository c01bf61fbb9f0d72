// The JSON envelope protocol on WebSocket (mounted at /ws): every text message is
//   {"type": "chat.send", "id": "c1" | 7 (optional), "data": any (optional)}
// and goes to the handler a plug-in registered for its type. Answers carry the request's id:
//   {"type": "chat.sent", "id": "c1", "data": {...}}
// Problems are answered, never fatal to the connection:
//   {"type": "error", "id": "c1" | null, "data": {"code": "ws.unknown_type", "message": "..."}}
// with codes ws.bad_json (not JSON, or nested deeper than 64), ws.bad_envelope (not an
// object, no string type, id neither string nor number), ws.unknown_type, ws.binary (binary
// messages are not part of the protocol), ws.bad_data (a handler found data it could not
// use: a nlohmann::json type error) and ws.internal (any other handler failure).
// Built-in types: "ping" answers "pong" with the same data; "echo" answers "echo" with the
// same data (tests and the load generator).
//
// Plug-ins register types and connection callbacks in mount(), on the loop thread; the
// dispatcher outlives every connection. Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/router.h"
#include "api/websocket_server.h"

namespace tidecast::api {

// One incoming envelope, as its handler sees it.
class WebSocketCall {
 public:
  WebSocketCall(WebSocketConnection& connection, std::string_view type, const nlohmann::json& id,
                nlohmann::json& data)
      : connection(connection), type(type), id(id), data(data) {}

  WebSocketConnection& connection;
  std::string_view type;
  const nlohmann::json& id;  // null when the message had none
  nlohmann::json& data;      // null when the message had none; handlers may move from it

  // Sends {"type": type, "id": <this call's id, if any>, "data": data}. False when the
  // connection is closed or was just dropped for its backlog.
  bool reply(std::string_view type, nlohmann::json data = nullptr);
  // Sends the error envelope with this call's id.
  bool fail(std::string_view code, std::string_view message);
};

class WebSocketDispatcher final : public WebSocketHandler {
 public:
  using TypeHandler = std::function<void(WebSocketCall& call)>;
  using OpenFn = std::function<void(WebSocketConnection& connection)>;
  using CloseFn =
      std::function<void(WebSocketConnection& connection, uint16_t code, std::string_view reason)>;

  explicit WebSocketDispatcher(core::LoopContext& context);
  ~WebSocketDispatcher() override;  // closes the connections before the callbacks go

  // Serves the envelope protocol on `pattern` (GET), "/ws" by default, and a plain echo
  // endpoint on `pattern`/echo (each message back as it came, text or binary: for WebSocket
  // clients' conformance checks and the load generator).
  void mount(Router& router, std::string_view pattern = "/ws");

  // Registers the handler for one message type. Throws std::invalid_argument when the type is
  // empty or already taken (a start-up error, like a malformed route).
  void on(std::string type, TypeHandler handler);
  // Connection callbacks, called in registration order (chat presence, cleanup).
  void onConnect(OpenFn fn) { openFns_.push_back(std::move(fn)); }
  void onDisconnect(CloseFn fn) { closeFns_.push_back(std::move(fn)); }

  // The WebSocket server behind the dispatcher, for plug-ins that want a raw endpoint of
  // their own (server().endpoint(handler)) and for shutdown.
  WebSocketServer& server() { return *server_; }

  // {"type":…,"id":…,"data":…} as text (id left out when null). For fan-out, build the frame
  // once with WebSocketFrame::text(envelope(…)) and send it to every connection.
  static std::string envelope(std::string_view type, const nlohmann::json& id,
                              const nlohmann::json& data);
  static std::string errorEnvelope(const nlohmann::json& id, std::string_view code,
                                   std::string_view message);

  // WebSocketHandler
  void onOpen(WebSocketConnection& connection) override;
  void onMessage(WebSocketConnection& connection, WebSocketMessage& message) override;
  void onClose(WebSocketConnection& connection, uint16_t code, std::string_view reason) override;

 private:
  void dispatch(WebSocketConnection& connection, nlohmann::json& message);

  core::LoopContext& context_;
  std::unique_ptr<WebSocketHandler> echo_;
  std::unique_ptr<WebSocketServer> server_;
  std::unordered_map<std::string, TypeHandler> handlers_;
  std::vector<OpenFn> openFns_;
  std::vector<CloseFn> closeFns_;
};

// Whether JSON text nests arrays/objects deeper than `maxDepth` (checked before parsing, so
// hostile input cannot make the parser or the value's destructor recurse without bound).
bool jsonNestsDeeperThan(std::string_view text, size_t maxDepth);

}  // namespace tidecast::api
