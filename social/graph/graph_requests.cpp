#include "social/graph/graph_requests.h"

#include <charconv>

#include "api/json_body.h"

namespace tidecast::social::graph {

core::Result<FollowRequest> parseFollowRequest(std::string_view body) {
  FollowRequest request;
  if (body.empty()) return request;
  auto bad = core::makeError("social.bad_request",
                             "expected an empty body or a JSON object {\"notify\"?: boolean}");
  if (body.size() > kMaxBodyBytes) return bad;
  nlohmann::json parsed = api::parseJsonBody(body, kMaxBodyDepth);
  if (!parsed.is_object()) return bad;
  for (const auto& [key, value] : parsed.items()) {
    if (key != "notify" || !value.is_boolean()) return bad;
    request.notify = value.get<bool>();
  }
  return request;
}

core::Result<uint32_t> parseLimit(const std::optional<std::string>& text, uint32_t fallback,
                                  uint32_t max) {
  if (!text) return fallback;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || value == 0 || value > max) {
    return core::makeError("social.bad_limit",
                           "limit must be an integer from 1 to " + std::to_string(max));
  }
  return value;
}

}  // namespace tidecast::social::graph
