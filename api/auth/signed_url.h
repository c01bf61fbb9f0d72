// Signed playback URLs. An app with `playback_secret` set accepts a viewer only with
//   ?expires=<unix seconds>&signature=<HMAC-SHA256(secret, "/{app}/{key}:<expires>")>
// the signature in hex (either case) or base64url. One signature covers the whole stream:
// HTTP-FLV /{app}/{key}.flv, every LL-HLS playlist, the DASH MPD, every CMAF object under
// /{app}/{key}/, and RTMP play of "{key}?expires=…&signature=…". An expiry in the past, or
// further ahead than the app's playback_ttl_ms, is refused; signatures compare in constant
// time. Error codes: playback.unsigned, playback.bad_signature, playback.expired,
// playback.ttl_too_long. Loop thread (no I/O); the pure functions run anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/http_request.h"
#include "api/http_response.h"
#include "core/config.h"
#include "core/result.h"
#include "core/stream_hub_config.h"

namespace tidecast::api::auth {

// "/{app}/{key}:<expires>": the text the signature covers.
std::string playbackSigningInput(std::string_view app, std::string_view key, int64_t expires);

// "expires=<expires>&signature=<hex>".
std::string signPlayback(std::string_view secret, std::string_view app, std::string_view key,
                         int64_t expiresUnix);

// Checks `rawQuery` (a URL's query without '?', percent-encoded) for app/key. An app without
// a playback secret (or not configured) needs nothing.
core::Status verifyPlayback(const core::AppConfig* app, std::string_view appName,
                            std::string_view key, std::string_view rawQuery, int64_t nowUnixMs);

// The app's settings in `config`, or null.
const core::AppConfig* findApp(const core::Config& config, std::string_view app);

// For HTTP routes: true when the request may play app/key; otherwise it has answered 403
// with the JSON error body.
bool allowPlayback(const core::Config& config, const HttpRequest& request, std::string_view app,
                   std::string_view key, HttpResponse& response);

// "expires=…&signature=…" of a signed request, to append to the relative URIs of a playlist or
// MPD so a player's next requests carry it; "" when the app needs no signature or the request
// carries none.
std::string playbackQuery(const core::AppConfig* app, std::string_view rawQuery);

}  // namespace tidecast::api::auth
