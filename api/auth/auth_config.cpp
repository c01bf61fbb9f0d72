#include "api/auth/auth_config.h"

namespace tidecast::api::auth {

using core::Reload;

const core::ConfigSection& authConfigSection() {
  using B = core::SectionBuilder<AuthConfig>;
  auto jwt = [](auto JwtConfig::*m) { return B::member(&AuthConfig::jwt, m); };
  static const core::ConfigSection section =
      B("auth",
        "End-user authentication: JWTs (compact JWS) for the social plug-ins, from "
        "\"Authorization: Bearer <jwt>\" or ?access_token= (WebSocket upgrades, players). "
        "Required claims: sub (the user id, a string) and exp; nbf and iat are checked when "
        "present; aud must contain the audience. Only the configured algorithm is accepted "
        "(\"none\" never). The verifier is built at start.")
          .choice<JwtAlgorithm>("jwt.algorithm", jwt(&JwtConfig::algorithm),
                                {{"hs256", JwtAlgorithm::kHs256}, {"rs256", JwtAlgorithm::kRs256}},
                                Reload::kRestart,
                                "hs256 (shared secret) or rs256 (RSA public key, PEM, at least "
                                "2048 bits).")
          .text("jwt.secret", jwt(&JwtConfig::secret), B::Empty::kAllowed, Reload::kRestart,
                "HS256 secret; \"\" disables end-user auth (routes that need a user answer "
                "401).")
          .text("jwt.public_key_file", jwt(&JwtConfig::publicKeyFile), B::Empty::kAllowed,
                Reload::kRestart, "RS256: the PEM public key file (read at start).")
          .text("jwt.audience", jwt(&JwtConfig::audience), B::Empty::kAllowed, Reload::kRestart,
                "Must appear in the token's aud (a string or an array); \"\" skips the check.")
          .integer<uint32_t>("jwt.leeway_ms", jwt(&JwtConfig::leewayMs), 0, core::kConfigMaxMillis,
                             "ms", Reload::kRestart, "Clock skew allowed on exp, nbf and iat.")
          .build();
  return section;
}

}  // namespace tidecast::api::auth
