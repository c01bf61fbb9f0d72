#include "api/admin/admin_requests.h"

#include <nlohmann/json.hpp>

#include "core/stream_hub.h"

namespace tidecast::api::admin {

using nlohmann::json;

namespace {

// The body as JSON, nesting limited to kMaxBodyDepth (discarded past it or when malformed).
json parseLimited(std::string_view body) {
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
  return tooDeep ? json(json::value_t::discarded) : parsed;
}

}  // namespace

core::Result<CreateKeyRequest> parseCreateKeyRequest(std::string_view body) {
  json parsed = parseLimited(body);
  if (!parsed.is_object() || !parsed.contains("app") || !parsed["app"].is_string()) {
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

core::Result<TranscodeRequest> parseTranscodeRequest(std::string_view body) {
  json parsed = parseLimited(body);
  auto bad = [] {
    return core::makeError("admin.bad_request",
                           "expected a JSON object {\"enabled\": true|false|null, "
                           "\"ladder\"?: string}");
  };
  if (!parsed.is_object() || !parsed.contains("enabled")) return bad();
  TranscodeRequest request;
  const json& enabled = parsed["enabled"];
  if (enabled.is_boolean()) {
    request.enabled = enabled.get<bool>();
  } else if (!enabled.is_null()) {
    return bad();
  }
  if (parsed.contains("ladder")) {
    const json& ladder = parsed["ladder"];
    if (!ladder.is_string() || ladder.get_ref<const std::string&>().size() > kMaxLadderNameBytes) {
      return bad();
    }
    request.ladder = ladder.get<std::string>();
  }
  return request;
}

}  // namespace tidecast::api::admin
