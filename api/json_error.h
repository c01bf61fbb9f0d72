// The JSON error body every API and router error uses:
//   {"error":{"code":"not_found","message":"no route for GET /x"}}
#pragma once

#include <string>
#include <string_view>

#include "api/http_response.h"

namespace tidecast::api {

std::string jsonErrorBody(std::string_view code, std::string_view message);
void sendJsonError(HttpResponse& response, int status, std::string_view code,
                   std::string_view message, HttpHeaders extraHeaders = {});

}  // namespace tidecast::api
