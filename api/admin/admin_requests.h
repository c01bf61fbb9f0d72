// The JSON bodies the admin API accepts, parsed and checked apart from the routes (so the
// fuzz target can drive them): POST /api/v1/keys {"app": string, "label"?: string}.
#pragma once

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

}  // namespace tidecast::api::admin
