#include "api/websocket_dispatcher.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <stdexcept>

namespace tidecast::api {

namespace {

constexpr size_t kMaxJsonDepth = 64;

bool validId(const nlohmann::json& id) { return id.is_string() || id.is_number(); }

// `/ws/echo`: every message back unchanged, with no envelope.
class EchoEndpoint final : public WebSocketHandler {
 public:
  void onMessage(WebSocketConnection& connection, WebSocketMessage& message) override {
    if (message.binary) {
      connection.sendBinary(std::move(message.data));
    } else {
      connection.sendText(std::move(message.data));
    }
  }
};

}  // namespace

bool jsonNestsDeeperThan(std::string_view text, size_t maxDepth) {
  size_t depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > maxDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// ---- WebSocketCall -------------------------------------------------------------------------

bool WebSocketCall::reply(std::string_view replyType, nlohmann::json replyData) {
  return connection.sendText(WebSocketDispatcher::envelope(replyType, id, replyData));
}

bool WebSocketCall::fail(std::string_view code, std::string_view message) {
  return connection.sendText(WebSocketDispatcher::errorEnvelope(id, code, message));
}

// ---- WebSocketDispatcher -------------------------------------------------------------------

WebSocketDispatcher::WebSocketDispatcher(core::LoopContext& context)
    : context_(context),
      echo_(std::make_unique<EchoEndpoint>()),
      server_(std::make_unique<WebSocketServer>(context)) {
  on("ping", [](WebSocketCall& call) { call.reply("pong", std::move(call.data)); });
  on("echo", [](WebSocketCall& call) { call.reply("echo", std::move(call.data)); });
}

WebSocketDispatcher::~WebSocketDispatcher() { server_.reset(); }

void WebSocketDispatcher::mount(Router& router, std::string_view pattern) {
  router.add("GET", pattern, server_->endpoint(*this));
  router.add("GET", std::string(pattern) + "/echo", server_->endpoint(*echo_));
}

void WebSocketDispatcher::on(std::string type, TypeHandler handler) {
  if (type.empty()) throw std::invalid_argument("WebSocket message type must not be empty");
  if (!handlers_.emplace(type, std::move(handler)).second) {
    throw std::invalid_argument("WebSocket message type '" + type + "' registered twice");
  }
}

std::string WebSocketDispatcher::envelope(std::string_view type, const nlohmann::json& id,
                                          const nlohmann::json& data) {
  nlohmann::json out = nlohmann::json::object();
  out["type"] = type;
  if (!id.is_null()) out["id"] = id;
  out["data"] = data;
  // Replacement characters instead of an exception for invalid UTF-8 in handler data.
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string WebSocketDispatcher::errorEnvelope(const nlohmann::json& id, std::string_view code,
                                               std::string_view message) {
  nlohmann::json out = nlohmann::json::object();
  out["type"] = "error";
  out["id"] = id;
  out["data"] = {{"code", code}, {"message", message}};
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void WebSocketDispatcher::onOpen(WebSocketConnection& connection) {
  for (auto& fn : openFns_) fn(connection);
}

void WebSocketDispatcher::onClose(WebSocketConnection& connection, uint16_t code,
                                  std::string_view reason) {
  for (auto& fn : closeFns_) {
    try {
      fn(connection, code, reason);
    } catch (const std::exception& e) {
      context_.log.error("ws.disconnect_failed conn={} what=\"{}\"", connection.id(), e.what());
    }
  }
}

void WebSocketDispatcher::onMessage(WebSocketConnection& connection, WebSocketMessage& message) {
  const nlohmann::json noId;
  if (message.binary) {
    connection.sendText(errorEnvelope(noId, "ws.binary", "binary messages are not supported"));
    return;
  }
  if (jsonNestsDeeperThan(message.data, kMaxJsonDepth)) {
    connection.sendText(errorEnvelope(noId, "ws.bad_json", "JSON nested too deeply"));
    return;
  }
  nlohmann::json parsed = nlohmann::json::parse(message.data, nullptr, false);
  if (parsed.is_discarded()) {
    connection.sendText(errorEnvelope(noId, "ws.bad_json", "message is not valid JSON"));
    return;
  }
  dispatch(connection, parsed);
}

void WebSocketDispatcher::dispatch(WebSocketConnection& connection, nlohmann::json& message) {
  const nlohmann::json noId;
  if (!message.is_object()) {
    connection.sendText(errorEnvelope(noId, "ws.bad_envelope", "message must be a JSON object"));
    return;
  }
  auto idIt = message.find("id");
  const bool hasId = idIt != message.end() && !idIt->is_null();
  if (hasId && !validId(*idIt)) {
    connection.sendText(errorEnvelope(noId, "ws.bad_envelope", "id must be a string or a number"));
    return;
  }
  const nlohmann::json& id = hasId ? *idIt : noId;
  auto typeIt = message.find("type");
  if (typeIt == message.end() || !typeIt->is_string()) {
    connection.sendText(errorEnvelope(id, "ws.bad_envelope", "type must be a string"));
    return;
  }
  const std::string& type = typeIt->get_ref<const std::string&>();
  auto handler = handlers_.find(type);
  if (handler == handlers_.end()) {
    connection.sendText(
        errorEnvelope(id, "ws.unknown_type", "unknown message type '" + type + "'"));
    return;
  }
  nlohmann::json empty;
  auto dataIt = message.find("data");
  WebSocketCall call(connection, type, id, dataIt != message.end() ? *dataIt : empty);
  try {
    handler->second(call);
  } catch (const nlohmann::json::exception& e) {
    call.fail("ws.bad_data", e.what());
  } catch (const std::exception& e) {
    context_.log.error("ws.handler_failed conn={} type={} what=\"{}\"", connection.id(), type,
                       e.what());
    call.fail("ws.internal", "internal error");
  }
}

}  // namespace tidecast::api
