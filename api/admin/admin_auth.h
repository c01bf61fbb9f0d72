// Who may call the admin API: bearer tokens whose SHA-256 is in the config (full or read-only
// access), compared in constant time, and token buckets per client address and per token.
// Answers 401 (no or unknown token), 403 (a read-only token on a write), 429 with
// Retry-After (too many requests) as JSON. Loop thread only.
#pragma once

#include <optional>
#include <string>

#include "api/admin/admin_config.h"
#include "api/admin/rate_limiter.h"
#include "api/http_request.h"
#include "api/http_response.h"

namespace tidecast::api::admin {

enum class Access { kRead, kFull };

class AdminAuth {
 public:
  // `generatedTokenHash`: the token file's hash, used when the config lists no token.
  AdminAuth(const AdminConfig& config, std::string generatedTokenHash)
      : config_(config), generatedTokenHash_(std::move(generatedTokenHash)) {}

  // True when the request may proceed; otherwise the error response was sent.
  bool admit(const HttpRequest& request, HttpResponse& response, uint64_t nowMs);

  // Bearer token → access level, or nullopt for an unknown token.
  std::optional<Access> accessOf(std::string_view token) const;

 private:
  const AdminConfig& config_;
  std::string generatedTokenHash_;
  RateLimiter perIp_;
  RateLimiter perToken_;
};

// Loads the token from `path`, or creates it (random, mode 0600) when the file is missing.
// Returns its SHA-256. Startup only (blocking file I/O). Error code admin.token_file.
core::Result<std::string> loadOrCreateTokenFile(const std::string& path);

}  // namespace tidecast::api::admin
