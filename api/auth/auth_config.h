// The `auth:` section: end-user JWTs the social plug-ins accept (api/auth/jwt.h).
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace tidecast::api::auth {

enum class JwtAlgorithm { kHs256, kRs256 };

struct JwtConfig {
  JwtAlgorithm algorithm = JwtAlgorithm::kHs256;
  std::string secret;                 // HS256 shared secret ("" disables end-user auth)
  std::string publicKeyFile;          // RS256: PEM public key
  std::string audience = "tidecast";  // must be in the token's aud ("" skips the check)
  uint32_t leewayMs = 30000;          // clock skew allowed on exp/nbf/iat
  bool operator==(const JwtConfig&) const = default;
};

struct AuthConfig {
  JwtConfig jwt;
  bool operator==(const AuthConfig&) const = default;
};

const core::ConfigSection& authConfigSection();

}  // namespace tidecast::api::auth
