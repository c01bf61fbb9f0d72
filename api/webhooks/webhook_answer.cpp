#include "api/webhooks/webhook_answer.h"

#include <nlohmann/json.hpp>

#include "core/stream_hub.h"

namespace tidecast::api::webhooks {

using nlohmann::json;

core::Result<std::optional<std::string>> parsePublishAnswer(std::string_view body) {
  size_t depth = 0;
  bool tooDeep = false;
  json::parser_callback_t limit = [&](int, json::parse_event_t event, json&) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      if (++depth > kMaxAnswerDepth) tooDeep = true;
    } else if (event == json::parse_event_t::object_end ||
               event == json::parse_event_t::array_end) {
      --depth;
    }
    return !tooDeep;
  };
  json answer = json::parse(body.begin(), body.end(), limit, /*allow_exceptions=*/false);
  if (tooDeep) return core::makeError("webhook.bad_answer", "the answer is nested too deeply");
  if (answer.is_discarded() || !answer.is_object()) return std::optional<std::string>();
  auto stream = answer.find("stream");
  if (stream == answer.end() || stream->is_null()) return std::optional<std::string>();
  if (!stream->is_string()) {
    return core::makeError("webhook.bad_answer", "\"stream\" must be a string");
  }
  const std::string& key = stream->get_ref<const std::string&>();
  // Any app name will do to validate the key part.
  if (!core::StreamHub::streamName("app", key)) {
    return core::makeError("webhook.bad_answer", "\"stream\" is not a valid stream key");
  }
  return std::optional<std::string>(key);
}

}  // namespace tidecast::api::webhooks
