// Request bodies in JSON, parsed with a nesting limit (a deeply nested body would otherwise
// cost stack and time before any check runs). Shared by the plug-ins that accept JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string_view>

namespace tidecast::api {

// The parsed document, or a discarded value (is_discarded()) when `body` is not JSON or nests
// objects/arrays deeper than `maxDepth`.
nlohmann::json parseJsonBody(std::string_view body, size_t maxDepth);

}  // namespace tidecast::api
