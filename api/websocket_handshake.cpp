#include "api/websocket_handshake.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

namespace tidecast::api {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool isBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
}

// 16 bytes in base64: 22 characters of the alphabet and "==".
bool validKey(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, isBase64Char);
}

WebSocketHandshake refuse(int status, std::string code, std::string message) {
  WebSocketHandshake result;
  result.status = status;
  result.code = std::move(code);
  result.message = std::move(message);
  if (status == 426) {
    result.headers = {{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}};
  }
  return result;
}

}  // namespace

bool headerHasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (equalsIgnoreCase(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

WebSocketHandshake checkWebSocketHandshake(const HttpRequest& request) {
  if (request.method != "GET") {
    return refuse(400, "ws.bad_handshake", "a WebSocket handshake must be a GET request");
  }
  const std::string* upgrade = request.header("upgrade");
  if (upgrade == nullptr) {
    return refuse(426, "ws.upgrade_required", "this resource is a WebSocket endpoint");
  }
  if (request.versionMajor == 1 && request.versionMinor == 0) {
    return refuse(400, "ws.bad_handshake", "a WebSocket handshake needs HTTP/1.1");
  }
  if (!headerHasToken(*upgrade, "websocket")) {
    return refuse(426, "ws.upgrade_required", "Upgrade must name websocket");
  }
  const std::string* connection = request.header("connection");
  if (connection == nullptr || !headerHasToken(*connection, "upgrade")) {
    return refuse(400, "ws.bad_handshake", "Connection must hold the upgrade token");
  }
  const std::string* version = request.header("sec-websocket-version");
  if (version == nullptr || trim(*version) != "13") {
    return refuse(426, "ws.unsupported_version", "Sec-WebSocket-Version must be 13");
  }
  const std::string* key = request.header("sec-websocket-key");
  if (key == nullptr || !validKey(trim(*key))) {
    return refuse(400, "ws.bad_handshake", "Sec-WebSocket-Key must be 16 bytes in base64");
  }
  WebSocketHandshake result;
  result.ok = true;
  result.status = 101;
  result.headers = {{"Upgrade", "websocket"},
                    {"Connection", "Upgrade"},
                    {"Sec-WebSocket-Accept", webSocketAccept(trim(*key))}};
  return result;
}

std::string webSocketAccept(std::string_view key) {
  std::string input(key);
  input += kGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLength = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digestLength, EVP_sha1(), nullptr) != 1) {
    return {};
  }
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(digestLength));
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<size_t>(length));
}

}  // namespace tidecast::api
