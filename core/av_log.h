// FFmpeg's own log lines (libavformat's MPEG-TS demuxer on an SRT publisher's thread,
// libavcodec's decoders and encoders on transcode workers) go through the server's logger
// instead of raw stderr: one event per line, `libav component=<AVClass name> msg="..."`, at the
// matching level (error/fatal/panic → error, warning → warn, info → info, lower → debug).
// A hostile stream can make a demuxer complain about every packet, so lines are rate-limited
// process-wide: past `maxLinesPerSecond` in one second the rest are counted and reported as
// one `libav.suppressed lines=N` warning when the next line gets through.
// Thread-safe; FFmpeg calls the hook from any thread. Call once at start-up (it replaces
// av_log's process-wide callback and sets av_log's level to warnings).
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <memory>

namespace tidecast::core {

void routeLibavLogs(std::shared_ptr<spdlog::logger> logger, uint32_t maxLinesPerSecond = 20);

// Stops routing (av_log's default callback again). Tests.
void stopRoutingLibavLogs();

}  // namespace tidecast::core
