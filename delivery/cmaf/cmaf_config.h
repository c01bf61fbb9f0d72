// The `cmaf:` section: packaging shared by every stream, for LL-HLS and LL-DASH (both serve
// the same fMP4 bytes from memory). Read at start; a change needs a restart.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/config.h"

namespace tidecast::delivery::cmaf {

struct CmafConfig {
  uint32_t segmentTargetMs = 2000;  // a segment closes at the first keyframe past this
  uint32_t partTargetMs = 200;      // LL-HLS part / LL-DASH chunk duration
  uint32_t windowSegments = 12;     // complete segments kept in memory and listed
  uint32_t lingerMs = 30000;        // a stopped stream's playlists stay this long for a reconnect
  uint32_t maxWaitersPerStream = 20000;  // held requests (blocking reloads, chunked segments)
  // The newest segments' parts are mirrored in a memfd and sent with sendfile(2); 0: never.
  uint32_t sendfileSegments = 3;
  bool operator==(const CmafConfig&) const = default;
};

const core::ConfigSection& cmafConfigSection();

}  // namespace tidecast::delivery::cmaf
