#include "api/json_error.h"

#include <nlohmann/json.hpp>

namespace tidecast::api {

std::string jsonErrorBody(std::string_view code, std::string_view message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  // Messages may quote hostile input: never fail on invalid UTF-8, replace it.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void sendJsonError(HttpResponse& response, int status, std::string_view code,
                   std::string_view message, HttpHeaders extraHeaders) {
  extraHeaders.emplace_back("Content-Type", "application/json");
  extraHeaders.emplace_back("Cache-Control", "no-store");
  response.send(status, std::move(extraHeaders),
                {core::Slice::fromString(jsonErrorBody(code, message))});
}

}  // namespace tidecast::api
