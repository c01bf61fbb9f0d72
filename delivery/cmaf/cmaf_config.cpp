#include "delivery/cmaf/cmaf_config.h"

namespace tidecast::delivery::cmaf {

using core::Reload;

const core::ConfigSection& cmafConfigSection() {
  using C = CmafConfig;
  static const core::ConfigSection section =
      core::SectionBuilder<C>("cmaf",
                              "CMAF packaging for LL-HLS and LL-DASH (both serve the same fMP4 "
                              "bytes from memory).")
          .integer("segment_target_ms", &C::segmentTargetMs, 500, 60000, "ms", Reload::kRestart,
                   "A segment closes at the first keyframe this long after its start: set the "
                   "encoder's keyframe interval to this (OBS: Keyframe Interval 2 s) so segments "
                   "are regular.")
          .integer("part_target_ms", &C::partTargetMs, 50, 5000, "ms", Reload::kRestart,
                   "Duration of an LL-HLS part and of an LL-DASH chunk (at most half the segment "
                   "target: a larger value is cut to that). Shorter parts mean lower latency and "
                   "more requests.")
          .integer("window_segments", &C::windowSegments, 3, 1000, "", Reload::kRestart,
                   "Complete segments kept in memory and listed (DASH timeShiftBufferDepth; "
                   "LL-HLS delta updates need more than six target durations to skip anything).")
          .integer("linger_ms", &C::lingerMs, 0, core::kConfigMaxMillis, "ms", Reload::kRestart,
                   "After its publisher leaves, a stream's playlists stay this long: a publisher "
                   "reconnecting within it continues them with a discontinuity (HLS "
                   "EXT-X-DISCONTINUITY, DASH new Period) and viewers need not reload.")
          .integer("max_held_requests_per_stream", &C::maxWaitersPerStream, 1, UINT32_MAX, "",
                   Reload::kRestart,
                   "Requests held on one stream (blocking playlist reloads, preload-hinted "
                   "parts, DASH segments in progress); past it, 503.")
          .integer("sendfile_segments", &C::sendfileSegments, 0, 1000, "", Reload::kRestart,
                   "Parts of this many of the newest segments are also copied once into an "
                   "in-memory file (memfd) and sent with sendfile(2), so serving them to many "
                   "viewers copies nothing per viewer. 0 serves everything from memory with "
                   "writev.")
          .build();
  return section;
}

}  // namespace tidecast::delivery::cmaf
