// The dynamic MPD of a live stream (ISO/IEC 23009-1, DASH-IF IOP live and low-latency
// guidelines): one Period per run of segments between discontinuities, a video and an
// audio AdaptationSet whose SegmentTemplate lists the same CMAF segments as HLS in a
// SegmentTimeline (the window, the segment in progress and a prediction of the next one),
// addressed by presentation time ($Time$: "video/t<time>.m4s", CmafTrack::segmentAt);
// availabilityTimeOffset lets players fetch the segment in progress, which the server
// streams part by part (availabilityTimeComplete="false"); ServiceDescription carries the
// latency target and UTCTiming points at our own clock.
//
// Why a timeline rather than SegmentTemplate@duration: segments are cut at keyframes, so
// their durations vary, and FFmpeg's DASH reader (libavformat/dashdec.c) computes
// @duration numbers from the wall clock in unsigned seconds: while the stream was younger
// than timeShiftBufferDepth, calc_min_seg_no wrapped and get_current_fragment fetched the
// same segment again and again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "delivery/cmaf/stream_packager.h"

namespace tidecast::delivery::dash {

struct MpdOptions {
  std::string timeUrl;              // absolute URL of GET /time (ISO 8601)
  uint32_t latencyTargetMs = 1000;  // ServiceDescription Latency@target
  int64_t nowMs = 0;                // publishTime, Unix ms
  // Transcoded renditions: more Representations of the video AdaptationSet ("480p"), their
  // segments numbered and timed like the source's.
  std::vector<cmaf::StreamPackager*> renditions;
};

// Empty until the stream has a period.
std::string renderMpd(cmaf::StreamPackager& packager, const MpdOptions& options);

// "PT12.345S"
std::string isoDuration(int64_t ms);

}  // namespace tidecast::delivery::dash
