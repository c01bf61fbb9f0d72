#include "api/auth/user_auth.h"

#include <chrono>

#include "api/json_error.h"

namespace tidecast::api::auth {

int64_t unixNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::string> bearerToken(const HttpRequest& request) {
  if (request.header("authorization") != nullptr) {
    std::string_view token = request.bearerToken();
    if (token.empty()) return std::nullopt;
    return std::string(token);
  }
  auto token = request.queryParam("access_token");
  if (token && !token->empty()) return token;
  return std::nullopt;
}

core::Result<std::string> UserAuth::authenticate(const HttpRequest& request,
                                                 int64_t nowUnixMs) const {
  auto token = bearerToken(request);
  if (!token) return core::makeError("auth.missing_token", "a bearer token is required");
  auto claims = verifier_.verify(*token, nowUnixMs);
  if (!claims) return claims.error();
  return std::move(claims->subject);
}

std::optional<std::string> UserAuth::requireUser(const HttpRequest& request, HttpResponse& response,
                                                 int64_t nowUnixMs) const {
  auto user = authenticate(request, nowUnixMs);
  if (user) return std::move(*user);
  const core::Error& error = user.error();
  std::string challenge =
      error.code == "auth.missing_token" ? "Bearer" : "Bearer error=\"invalid_token\"";
  sendJsonError(response, 401, error.code, error.message, {{"WWW-Authenticate", challenge}});
  return std::nullopt;
}

}  // namespace tidecast::api::auth
