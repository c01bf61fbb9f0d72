#include "api/admin/admin_config.h"

#include <openssl/crypto.h>

namespace tidecast::api::admin {

using core::Reload;

core::Status parseSha256List(const core::ConfigValue& v, std::vector<std::string>& out) {
  if (!v.node.IsSequence()) return v.invalid("a list of hex SHA-256 digests");
  out.clear();
  for (const auto& item : v.node) {
    const std::string text = item.IsScalar() ? item.Scalar() : std::string();
    const bool hex =
        text.size() == 64 && text.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) {
      return v.at(item).invalid(
          "64 lower-case hex digits (tidecast --hash-token TOKEN prints them)");
    }
    out.push_back(text);
  }
  return {};
}

std::string renderSha256List(const std::vector<std::string>& digests) {
  std::string out = "[";
  for (size_t i = 0; i < digests.size(); ++i) out += (i > 0 ? ", " : "") + digests[i];
  return out + "]";
}

bool listedSha256(const std::vector<std::string>& digests, std::string_view hash) {
  bool found = false;
  for (const std::string& candidate : digests) {
    if (candidate.size() == hash.size() &&
        CRYPTO_memcmp(candidate.data(), hash.data(), hash.size()) == 0) {
      found = true;
    }
  }
  return found;
}

const core::ConfigSection& adminConfigSection() {
  using C = AdminConfig;
  using B = core::SectionBuilder<C>;
  static const core::ConfigSection section =
      B("admin",
        "The admin REST API under /api/v1 (spec: api/openapi.yaml, also at "
        "/api/v1/openapi.yaml).")
          .flag("enabled", &C::enabled, Reload::kRestart, "Serve the admin API.")
          .custom<std::vector<std::string>>(
              "token_sha256", &C::tokenSha256, "a list of hex SHA-256 digests", Reload::kLive,
              "Full-access bearer tokens, as hex SHA-256 digests (`tidecast --hash-token TOKEN` "
              "prints one). With this list and read_token_sha256 both empty the server creates "
              "a random full-access token in <data_dir>/<token_file> (mode 0600) at start and "
              "accepts that one.",
              parseSha256List, renderSha256List)
          .custom<std::vector<std::string>>(
              "read_token_sha256", &C::readTokenSha256, "a list of hex SHA-256 digests",
              Reload::kLive, "Read-only bearer tokens (GET only; writes answer 403).",
              parseSha256List, renderSha256List)
          .text("token_file", &C::tokenFile, B::Empty::kRejected, Reload::kRestart,
                "The generated token's file, under data_dir.")
          .integer("rate_limit.per_ip_per_second", &C::perIpPerSecond, 1, UINT32_MAX, "",
                   Reload::kLive,
                   "Token bucket per client address: requests per second (429 with Retry-After "
                   "past it).")
          .integer("rate_limit.per_ip_burst", &C::perIpBurst, 1, UINT32_MAX, "", Reload::kLive,
                   "The same bucket's burst.")
          .integer("rate_limit.per_token_per_second", &C::perTokenPerSecond, 1, UINT32_MAX, "",
                   Reload::kLive, "Token bucket per bearer token: requests per second.")
          .integer("rate_limit.per_token_burst", &C::perTokenBurst, 1, UINT32_MAX, "",
                   Reload::kLive, "The same bucket's burst.")
          .build();
  return section;
}

}  // namespace tidecast::api::admin
