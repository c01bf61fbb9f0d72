// What the follow graph's routes accept, checked apart from the routes (so the fuzz target
// can drive them): the PUT .../following/{target} body and the paging query parameters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace tidecast::social::graph {

inline constexpr size_t kMaxBodyDepth = 4;
inline constexpr size_t kMaxBodyBytes = 1024;

struct FollowRequest {
  bool notify = true;
};

// "" or {} -> notify on; {"notify": bool}. Error code social.bad_request (not a JSON object,
// longer than kMaxBodyBytes, nested deeper than kMaxBodyDepth, notify not a boolean, or an
// unknown member).
core::Result<FollowRequest> parseFollowRequest(std::string_view body);

// ?limit=: absent -> `fallback`; otherwise an integer in 1..max. Error code social.bad_limit.
core::Result<uint32_t> parseLimit(const std::optional<std::string>& text, uint32_t fallback,
                                  uint32_t max);

}  // namespace tidecast::social::graph
