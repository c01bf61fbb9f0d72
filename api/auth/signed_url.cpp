#include "api/auth/signed_url.h"

#include <charconv>
#include <optional>

#include "api/auth/crypto.h"
#include "api/auth/user_auth.h"
#include "api/json_error.h"

namespace tidecast::api::auth {

namespace {

constexpr size_t kSha256Bytes = 32;

// The first value of `name` in a raw query, percent-decoded; nullopt if absent or undecodable.
std::optional<std::string> queryValue(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    if (eq == std::string_view::npos) return std::string();
    return percentDecode(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

std::optional<int64_t> parseSeconds(std::string_view text) {
  int64_t value = 0;
  if (text.empty() || text.size() > 12) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// The 32 signature bytes from hex (64 characters) or base64url (43 characters).
std::optional<std::string> decodeSignature(std::string_view text) {
  std::optional<std::string> bytes =
      text.size() == 2 * kSha256Bytes ? hexDecode(text) : base64UrlDecode(text);
  if (!bytes || bytes->size() != kSha256Bytes) return std::nullopt;
  return bytes;
}

}  // namespace

std::string playbackSigningInput(std::string_view app, std::string_view key, int64_t expires) {
  return "/" + std::string(app) + "/" + std::string(key) + ":" + std::to_string(expires);
}

std::string signPlayback(std::string_view secret, std::string_view app, std::string_view key,
                         int64_t expiresUnix) {
  return "expires=" + std::to_string(expiresUnix) +
         "&signature=" + hexEncode(hmacSha256(secret, playbackSigningInput(app, key, expiresUnix)));
}

const core::AppConfig* findApp(const core::Config& config, std::string_view app) {
  return config.get<core::AppsConfig>().find(app);
}

core::Status verifyPlayback(const core::AppConfig* app, std::string_view appName,
                            std::string_view key, std::string_view rawQuery, int64_t nowUnixMs) {
  if (app == nullptr || app->playbackSecret.empty()) return {};
  auto expiresText = queryValue(rawQuery, "expires");
  auto signatureText = queryValue(rawQuery, "signature");
  if (!expiresText || !signatureText) {
    return core::makeError("playback.unsigned", "this stream needs a signed URL");
  }
  auto expires = parseSeconds(*expiresText);
  auto signature = decodeSignature(*signatureText);
  if (!expires || !signature) {
    return core::makeError("playback.bad_signature", "malformed expires or signature");
  }
  std::string expected =
      hmacSha256(app->playbackSecret, playbackSigningInput(appName, key, *expires));
  if (!constantTimeEqual(expected, *signature)) {
    return core::makeError("playback.bad_signature", "the signature does not match");
  }
  // Checked after the signature, so only the holder of the secret learns about expiry.
  if (*expires * 1000 <= nowUnixMs) {
    return core::makeError("playback.expired", "the signed URL has expired");
  }
  if (*expires * 1000 - nowUnixMs > static_cast<int64_t>(app->playbackTtlMs)) {
    return core::makeError("playback.ttl_too_long",
                           "the signed URL is valid for longer than playback_ttl_ms allows");
  }
  return {};
}

bool allowPlayback(const core::Config& config, const HttpRequest& request, std::string_view app,
                   std::string_view key, HttpResponse& response) {
  auto status = verifyPlayback(findApp(config, app), app, key, request.query, unixNowMs());
  if (status) return true;
  sendJsonError(response, 403, status.error().code, status.error().message);
  return false;
}

std::string playbackQuery(const core::AppConfig* app, std::string_view rawQuery) {
  if (app == nullptr || app->playbackSecret.empty()) return {};
  auto expires = queryValue(rawQuery, "expires");
  auto signature = queryValue(rawQuery, "signature");
  if (!expires || !signature || !parseSeconds(*expires) || !decodeSignature(*signature)) return {};
  // Both are URL-safe once validated (digits; hex or base64url).
  return "expires=" + *expires + "&signature=" + *signature;
}

}  // namespace tidecast::api::auth
