#include "api/admin/admin_auth.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "api/admin/stream_key_store.h"
#include "api/json_error.h"

namespace tidecast::api::admin {

namespace {

bool isWrite(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace

std::optional<Access> AdminAuth::accessOf(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  std::string hash = sha256Hex(token);
  if (listedSha256(config_.tokenSha256, hash)) return Access::kFull;
  if (listedSha256(config_.readTokenSha256, hash)) return Access::kRead;
  if (config_.tokenSha256.empty() && config_.readTokenSha256.empty() &&
      !generatedTokenHash_.empty() && listedSha256({generatedTokenHash_}, hash)) {
    return Access::kFull;
  }
  return std::nullopt;
}

bool AdminAuth::admit(const HttpRequest& request, HttpResponse& response, uint64_t nowMs) {
  auto tooMany = [&](uint32_t retryAfter) {
    sendJsonError(response, 429, "admin.rate_limited", "too many requests",
                  {{"Retry-After", std::to_string(retryAfter)}});
    return false;
  };
  if (uint32_t wait =
          perIp_.take(request.peer.ip, config_.perIpPerSecond, config_.perIpBurst, nowMs)) {
    return tooMany(wait);
  }
  std::string_view token = request.bearerToken();
  std::optional<Access> access = accessOf(token);
  if (!access) {
    sendJsonError(response, 401, "admin.unauthorized",
                  token.empty() ? "an admin bearer token is required" : "unknown admin token",
                  {{"WWW-Authenticate", "Bearer realm=\"tidecast-admin\""}});
    return false;
  }
  if (uint32_t wait = perToken_.take(sha256Hex(token), config_.perTokenPerSecond,
                                     config_.perTokenBurst, nowMs)) {
    return tooMany(wait);
  }
  if (*access == Access::kRead && isWrite(request.method)) {
    sendJsonError(response, 403, "admin.forbidden", "this token may only read");
    return false;
  }
  return true;
}

core::Result<std::string> loadOrCreateTokenFile(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  if (in && std::getline(in, token)) {
    while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
    if (token.size() >= 16) return sha256Hex(token);
    return core::makeError("admin.token_file", path + ": token shorter than 16 characters");
  }
  token = randomToken(32);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::makeError("admin.token_file", path + ": cannot create: " + std::strerror(errno));
  }
  std::string line = token + "\n";
  bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) return core::makeError("admin.token_file", path + ": cannot write");
  return sha256Hex(token);
}

}  // namespace tidecast::api::admin
