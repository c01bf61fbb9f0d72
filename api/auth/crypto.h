// The small crypto and encoding primitives end-user auth needs (JWT, signed playback URLs):
// strict base64url (RFC 4648 §5, no padding), hex, HMAC-SHA256 and a constant-time compare,
// all through OpenSSL 3. Pure functions, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tidecast::api::auth {

// Base64url without padding. decode rejects '=', characters outside the alphabet, a length of
// 4n+1 and non-zero trailing bits (only the canonical encoding of a byte string is accepted).
std::string base64UrlEncode(std::string_view bytes);
std::optional<std::string> base64UrlDecode(std::string_view text);

// Lower-case hex; decode accepts either case and rejects odd lengths and other characters.
std::string hexEncode(std::string_view bytes);
std::optional<std::string> hexDecode(std::string_view text);

// HMAC-SHA256(key, message): 32 raw bytes.
std::string hmacSha256(std::string_view key, std::string_view message);

// True when a and b are equal; the time taken depends only on their lengths.
bool constantTimeEqual(std::string_view a, std::string_view b);

}  // namespace tidecast::api::auth
