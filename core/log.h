// Structured logging on spdlog. Callers write one event per line as `event key=value ...`
// (e.g. `logger.info("http.listen addr={} port={}", addr, port)`); this file decides how
// that line looks on the wire:
//
//   text: 2026-11-23T12:00:00.123Z info  http.listen addr=0.0.0.0 port=8080
//   json: {"ts":"2026-11-23T12:00:00.123Z","level":"info","msg":"http.listen addr=0.0.0.0
//   port=8080"}
//
// Timestamps are UTC, ISO-8601 with milliseconds. Both formats keep one event per line even
// when a message carries hostile bytes: text escapes control characters (\n, \t, \xNN),
// JSON escapes per RFC 8259 and replaces invalid UTF-8 with U+FFFD so the line stays valid.
//
// Loggers are plain objects owned by whoever builds them (the per-loop context); nothing is
// registered in spdlog's global registry. Thread-safety: loggers use spdlog's _mt sinks, so
// any thread may log, and reconfigureLogger may run concurrently with logging.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/log_config.h"

namespace tidecast::core {

// A logger writing to stderr. An unknown cfg.level falls back to "info" and says so in the
// log (config validation is expected to reject it earlier).
std::shared_ptr<spdlog::logger> makeLogger(const LogConfig& cfg, std::string name = "tidecast");

// Same, writing to `sink` instead of stderr (tests capture output with an ostream sink).
std::shared_ptr<spdlog::logger> makeLogger(const LogConfig& cfg, spdlog::sink_ptr sink,
                                           std::string name = "tidecast");

// Applies a new level and format to a live logger (SIGHUP). An unknown level keeps the
// current one and logs a warning.
void reconfigureLogger(spdlog::logger& logger, const LogConfig& cfg);

// trace|debug|info|warn|error|critical|off (lower case); anything else is nullopt.
std::optional<spdlog::level::level_enum> parseLogLevel(std::string_view name);

// The formatter behind a format, for callers that build their own sinks (and for tests).
std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format);

}  // namespace tidecast::core
