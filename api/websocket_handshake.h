// The server side of the RFC 6455 opening handshake: checks an HTTP request asking for a
// WebSocket and computes Sec-WebSocket-Accept. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "api/http_request.h"

namespace tidecast::api {

struct WebSocketHandshake {
  bool ok = false;
  // When !ok: the answer (400 or 426), an error code ("ws.bad_handshake",
  // "ws.upgrade_required", "ws.unsupported_version") and a message for the JSON error body.
  int status = 400;
  std::string code;
  std::string message;
  // The headers of the answer: on success those of the 101, on failure the ones a 426 needs
  // (Sec-WebSocket-Version: 13, Upgrade: websocket).
  HttpHeaders headers;
};

// Checks method (GET), version (HTTP/1.1 or later), Upgrade: websocket, a Connection header
// with the "upgrade" token, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 bytes in
// base64. A plain request without any Upgrade header gets 426 Upgrade Required.
WebSocketHandshake checkWebSocketHandshake(const HttpRequest& request);

// base64(SHA-1(key + the RFC 6455 GUID)).
std::string webSocketAccept(std::string_view key);

// True when the comma-separated header value holds `token` (case-insensitive).
bool headerHasToken(std::string_view value, std::string_view token);

}  // namespace tidecast::api
