// Stream names as metric labels and log lines show them. A stream is named "{app}/{key}"
// (a rendition "{app}/{key}/{rung}"), and the key is a secret: whoever knows it may publish as
// that broadcaster. Its public form keeps the app and the rung and puts "k-" plus the first 12
// hex digits of SHA-256(key) in the key's place: "live/k-9f86d081884c/480p". The id is stable
// (the same key gives the same id after a restart and on every node, and it is the admin
// API's key_sha256_prefix of a stored key) and cannot be turned back into the key, though a
// short or guessable key can be found by trying candidates: keys should be long and random.
//
// Every stream name that reaches a metric label or a log line goes through publicStreamName;
// webhook bodies, events and admin API answers are for trusted parties and carry the real
// name. (Interim protection: channels will give streams public names of their own.)
//
// Pure functions, any thread.
#pragma once

#include <string>
#include <string_view>

namespace tidecast::core {

inline constexpr size_t kPublicKeyHexDigits = 12;

// "k-" + the first kPublicKeyHexDigits hex digits of SHA-256(key).
std::string publicStreamKey(std::string_view key);

// "app/key[/rung]" with the key replaced by publicStreamKey(key); "" stays "", and a name
// without an app (no '/') is taken as a bare key.
std::string publicStreamName(std::string_view name);

}  // namespace tidecast::core
