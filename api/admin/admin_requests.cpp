#include "api/admin/admin_requests.h"

#include <nlohmann/json.hpp>

#include "api/json_body.h"
#include "core/stream_hub.h"

namespace tidecast::api::admin {

using nlohmann::json;

core::Result<CreateKeyRequest> parseCreateKeyRequest(std::string_view body) {
  json parsed = parseJsonBody(body, kMaxBodyDepth);
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

}  // namespace tidecast::api::admin
