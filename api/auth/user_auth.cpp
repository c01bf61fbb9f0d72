#include "api/auth/user_auth.h"

#include <chrono>

#include "api/json_error.h"

namespace tidecast::api::auth {

namespace {
constexpr std::string_view kBearer = "bearer ";

bool startsWithIgnoringCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}
}  // namespace

int64_t unixNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::string> bearerToken(const HttpRequest& request) {
  if (const std::string* header = request.header("authorization")) {
    std::string_view value = *header;
    if (!startsWithIgnoringCase(value, kBearer)) return std::nullopt;
    value.remove_prefix(kBearer.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    return std::string(value);
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
