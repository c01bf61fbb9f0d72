// JSON Web Tokens for end users (RFC 7519, compact JWS, RFC 7515): verification with one
// configured algorithm, HS256 (HMAC-SHA256, shared secret) or RS256 (RSA PKCS#1 v1.5 with
// SHA-256, PEM public key), and a signer for tests and tools.
//
// A token is accepted only when: it is three strict base64url parts; the header is a JSON
// object whose "alg" is exactly the configured algorithm (so "none" and HS256-with-the-RSA-
// public-key confusion are refused) and has no "crit"; the signature verifies; the payload
// is a JSON object with a string "sub" and a numeric "exp" in the future (minus leeway);
// "nbf" and "iat", when present, are not in the future (plus leeway); "aud" (a string or an
// array of strings) contains the configured audience, when one is configured.
//
// Error codes: auth.malformed, auth.bad_signature, auth.expired, auth.not_yet_valid,
// auth.bad_audience, auth.unsupported_alg (and auth.bad_key when building a verifier).
// Verification is CPU only (no I/O): safe on the loop. A JwtVerifier is immutable after
// creation and may be shared across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/auth/auth_config.h"
#include "core/result.h"

namespace tidecast::api::auth {

inline constexpr size_t kMaxJwtBytes = 8192;  // longer tokens are auth.malformed

struct JwtClaims {
  std::string subject;    // "sub": the user id
  int64_t expiresAt = 0;  // "exp", unix seconds
  std::string payload;    // the decoded payload JSON, for claims the caller wants
};

struct JwtSettings {
  JwtAlgorithm algorithm = JwtAlgorithm::kHs256;
  std::string secret;        // HS256
  std::string publicKeyPem;  // RS256: "-----BEGIN PUBLIC KEY-----..."
  std::string audience;      // "" skips the aud check
  int64_t leewayMs = 0;
};

class JwtVerifier {
 public:
  // auth.bad_key: an empty HS256 secret, or an RS256 key that is not an RSA public key of
  // at least 2048 bits.
  static core::Result<JwtVerifier> create(JwtSettings settings);
  // From the `auth.jwt` config section; reads public_key_file (start-up only: file I/O).
  static core::Result<JwtVerifier> fromConfig(const JwtConfig& config);

  core::Result<JwtClaims> verify(std::string_view token, int64_t nowUnixMs) const;
  JwtAlgorithm algorithm() const { return settings_.algorithm; }

 private:
  struct KeyHolder;
  JwtVerifier(JwtSettings settings, std::shared_ptr<const KeyHolder> key);
  bool signatureValid(std::string_view signingInput, std::string_view signature) const;

  JwtSettings settings_;
  std::shared_ptr<const KeyHolder> key_;  // RS256 public key
};

// Signs `payloadJson` (the caller's JSON object text) as a compact JWS with header
// {"alg":…,"typ":"JWT"}. `key`: the HS256 secret, or an RS256 private key in PEM.
core::Result<std::string> signJwt(JwtAlgorithm algorithm, std::string_view key,
                                  std::string_view payloadJson);

// "HS256" / "RS256".
std::string_view jwtAlgorithmName(JwtAlgorithm algorithm);

}  // namespace tidecast::api::auth
