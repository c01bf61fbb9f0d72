// The `admin:` section: the admin REST API's switch, tokens and rate limits (api/admin).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace tidecast::api::admin {

struct AdminConfig {
  bool enabled = true;
  // Hex SHA-256 of bearer tokens: full access, and read-only (GET) access. When both are
  // empty the server generates one full-access token into `<data_dir>/<token_file>`.
  std::vector<std::string> tokenSha256;
  std::vector<std::string> readTokenSha256;
  std::string tokenFile = "admin-token";
  // Token buckets: requests per second and burst, per client address and per token.
  uint32_t perIpPerSecond = 20;
  uint32_t perIpBurst = 60;
  uint32_t perTokenPerSecond = 50;
  uint32_t perTokenBurst = 200;
  bool operator==(const AdminConfig&) const = default;
};

const core::ConfigSection& adminConfigSection();

// A list of lower-case hex SHA-256 digests (tokens), for any section that takes them.
core::Status parseSha256List(const core::ConfigValue& v, std::vector<std::string>& out);
std::string renderSha256List(const std::vector<std::string>& digests);
// Whether `hash` (a token's sha256Hex) is one of `digests`, each compared in constant time
// (the lists themselves are not secret).
bool listedSha256(const std::vector<std::string>& digests, std::string_view hash);

}  // namespace tidecast::api::admin
