// One parsed HTTP/1.1 request, as the router and handlers see it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/tcp.h"

namespace tidecast::api {

// Header names are stored lower-cased; repeated headers keep separate entries in order.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the raw request-target
  std::string path;    // the raw (still percent-encoded) path part of target
  std::string query;   // the raw query string after '?', without it
  uint8_t versionMajor = 1;
  uint8_t versionMinor = 1;
  HttpHeaders headers;
  std::string body;
  bool keepAlive = true;
  bool upgrade = false;  // Connection: upgrade (WebSocket) was requested
  core::PeerAddress peer;
  // Filled by the Router: the pattern's {name} captures, percent-decoded.
  std::vector<std::pair<std::string, std::string>> params;

  // First header with this (lower-case) name.
  const std::string* header(std::string_view name) const;
  // Router capture by name ("" when absent).
  std::string_view param(std::string_view name) const;
  // First query parameter with this name, percent-decoded ('+' is a space).
  std::optional<std::string> queryParam(std::string_view name) const;
  // The token of the "Authorization: Bearer <token>" header (the scheme in any case, spaces
  // around the token dropped); "" when the header is missing or names another scheme.
  std::string_view bearerToken() const;
};

// Percent-decoding; nullopt on malformed escapes or a decoded NUL byte.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace = false);

}  // namespace tidecast::api
