// End-user authentication for HTTP routes and WebSocket upgrades: the JWT comes from
// "Authorization: Bearer <jwt>" or, where a client cannot set headers (a browser WebSocket,
// a player), from the "access_token" query parameter. The social plug-ins call
// authenticate() on each request (or once per WebSocket upgrade). Loop thread, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/auth/jwt.h"
#include "api/http_request.h"
#include "api/http_response.h"
#include "core/result.h"

namespace tidecast::api::auth {

class UserAuth {
 public:
  explicit UserAuth(JwtVerifier verifier) : verifier_(std::move(verifier)) {}

  // The user id ("sub") of a valid token. Error codes: auth.missing_token, or the verifier's.
  core::Result<std::string> authenticate(const HttpRequest& request, int64_t nowUnixMs) const;

  // authenticate(), answering 401 with the JSON error body and a WWW-Authenticate header
  // when it fails; nullopt then, and the handler returns.
  std::optional<std::string> requireUser(const HttpRequest& request, HttpResponse& response,
                                         int64_t nowUnixMs) const;

  const JwtVerifier& verifier() const { return verifier_; }

 private:
  JwtVerifier verifier_;
};

// The bearer token of a request: the Authorization header's, else the access_token query
// parameter's; nullopt when there is none.
std::optional<std::string> bearerToken(const HttpRequest& request);

// Wall-clock unix milliseconds (token expiry is wall-clock time, not loop time).
int64_t unixNowMs();

}  // namespace tidecast::api::auth
