// The CMAF header (init segment) of one track: ftyp + moov with a single trak whose sample
// entry is avc1 / hvc1 / av01 / mp4a / Opus, and mvex/trex for the fragments that follow
// (ISO/IEC 14496-12 8, ISO/IEC 23000-19 7.3). Track ID 1; the fragments use the same.
#pragma once

#include "core/slice.h"
#include "delivery/cmaf/track_description.h"

namespace tidecast::delivery::cmaf {

inline constexpr uint32_t kTrackId = 1;

core::Slice writeInitSegment(const TrackDescription& track);

}  // namespace tidecast::delivery::cmaf
