#include "api/admin/admin_requests.h"

#include <nlohmann/json.hpp>

#include "core/stream_hub.h"

namespace tidecast::api::admin {

using nlohmann::json;

core::Result<CreateKeyRequest> parseCreateKeyRequest(std::string_view body) {
  size_t depth = 0;
  bool tooDeep = false;
  json::parser_callback_t limit = [&](int, json::parse_event_t event, json&) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      tooDeep |= ++depth > kMaxBodyDepth;
    } else if (event == json::parse_event_t::object_end ||
               event == json::parse_event_t::array_end) {
      --depth;
    }
    return !tooDeep;
  };
  json parsed = json::parse(body, limit, /*allow_exceptions=*/false);
  if (tooDeep || !parsed.is_object() || !parsed.contains("app") || !parsed["app"].is_string()) {
    return core::makeError("admin.bad_request",
                           "expected a JSON object {\"app\": string, \"label\"?: string}");
  }
  CreateKeyRequest request{parsed["app"].get<std::string>(), ""};
  if (!core::StreamHub::streamName(request.app, "k")) {
    return core::makeError("admin.bad_app", "invalid app name");
  }
  if (parsed.contains("label")) {
    const json& label = parsed["label"];
    if (!label.is_string() || label.get_ref<const std::string&>().size() > kMaxLabelBytes) {
      return core::makeError("admin.bad_label", "label must be a string of at most 200 bytes");
    }
    request.label = label.get<std::string>();
  }
  return request;
}

}  // namespace tidecast::api::admin
