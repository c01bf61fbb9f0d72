// The LL-HLS delivery directives of a media playlist request (RFC 8216bis 6.2.5):
// _HLS_msn=<M> [&_HLS_part=<P>] asks for a blocking reload, _HLS_skip=YES|v2 for a delta
// update. Parsed from the raw query string; anything malformed is a 400 with a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"

namespace tidecast::delivery::hls {

struct PlaylistRequest {
  std::optional<uint64_t> msn;
  std::optional<uint64_t> part;
  bool skip = false;  // YES or v2 (we skip segments; there are no date ranges to skip)
};

// Error code hls.bad_request. Unknown parameters are ignored (cache-busting tokens, auth).
core::Result<PlaylistRequest> parsePlaylistRequest(std::string_view query);

}  // namespace tidecast::delivery::hls
