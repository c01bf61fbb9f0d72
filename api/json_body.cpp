#include "api/json_body.h"

namespace tidecast::api {

nlohmann::json parseJsonBody(std::string_view body, size_t maxDepth) {
  using nlohmann::json;
  size_t depth = 0;
  bool tooDeep = false;
  json::parser_callback_t limit = [&](int, json::parse_event_t event, json&) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      tooDeep |= ++depth > maxDepth;
    } else if (event == json::parse_event_t::object_end ||
               event == json::parse_event_t::array_end) {
      --depth;
    }
    return !tooDeep;
  };
  json parsed = json::parse(body, limit, /*allow_exceptions=*/false);
  if (tooDeep) return json(json::value_t::discarded);
  return parsed;
}

}  // namespace tidecast::api
