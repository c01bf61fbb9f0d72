// The JSON bodies the admin API accepts, parsed and checked apart from the routes (so the
// fuzz target can drive them): POST /api/v1/keys {"app": string, "label"?: string},
// PUT /api/v1/streams/{app}/{key}/transcode {"enabled": bool|null, "ladder"?: string}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tidecast::api::admin {

inline constexpr size_t kMaxLabelBytes = 200;
inline constexpr size_t kMaxBodyDepth = 8;

struct CreateKeyRequest {
  std::string app;
  std::string label;
};

// Error codes: admin.bad_request (not the expected JSON object), admin.bad_app (not a valid
// app name), admin.bad_label (not a string, or longer than kMaxLabelBytes).
core::Result<CreateKeyRequest> parseCreateKeyRequest(std::string_view body);

inline constexpr size_t kMaxLadderNameBytes = 128;

struct TranscodeRequest {
  std::optional<bool> enabled;  // nullopt: back to the app's setting
  std::string ladder;           // "" : the app's ladder
};

// Error code admin.bad_request (not an object with "enabled" true/false/null, or a "ladder"
// that is not a string of at most kMaxLadderNameBytes).
core::Result<TranscodeRequest> parseTranscodeRequest(std::string_view body);

}  // namespace tidecast::api::admin
