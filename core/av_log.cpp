#include "core/av_log.h"

extern "C" {
#include <libavutil/log.h>
}

#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

namespace tidecast::core {

namespace {

constexpr size_t kMaxLineBytes = 1024;  // a longer line is cut (hostile input echoed back)

struct Route {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;
  uint32_t maxPerSecond = 20;
  int64_t second = 0;
  uint32_t inSecond = 0;
  uint64_t suppressed = 0;
};

Route& route() {
  static Route* r = new Route();  // never destroyed: FFmpeg may log from a thread at exit
  return *r;
}

spdlog::level::level_enum levelOf(int avLevel) {
  if (avLevel <= AV_LOG_ERROR) return spdlog::level::err;
  if (avLevel <= AV_LOG_WARNING) return spdlog::level::warn;
  if (avLevel <= AV_LOG_INFO) return spdlog::level::info;
  return spdlog::level::debug;
}

// The part of a line given so far (FFmpeg may build one line over several calls).
struct Pending {
  std::string text;
  std::string component;
  int level = AV_LOG_INFO;
};
thread_local Pending pending;

void emit(const Pending& line) {
  Route& r = route();
  std::shared_ptr<spdlog::logger> logger;
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(r.mutex);
    if (!r.logger) return;
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
    if (now != r.second) {
      r.second = now;
      r.inSecond = 0;
    }
    if (r.inSecond >= r.maxPerSecond) {
      ++r.suppressed;
      return;
    }
    ++r.inSecond;
    suppressed = r.suppressed;
    r.suppressed = 0;
    logger = r.logger;
  }
  if (suppressed > 0) logger->warn("libav.suppressed lines={}", suppressed);
  // The logger's formatter escapes control bytes, so the line stays one line.
  logger->log(levelOf(line.level), "libav component={} msg=\"{}\"", line.component, line.text);
}

// FFmpeg's format strings are printf formats (the attribute lets -Wformat-nonliteral check the
// callers' side instead of refusing the vsnprintf below).
__attribute__((format(printf, 3, 0))) void callback(void* avcl, int level, const char* format,
                                                    va_list args) {
  if (level > av_log_get_level()) return;
  {
    Route& r = route();
    std::lock_guard lock(r.mutex);
    if (!r.logger || !r.logger->should_log(levelOf(level))) return;
  }
  char piece[kMaxLineBytes];
  va_list copy;
  va_copy(copy, args);
  int n = std::vsnprintf(piece, sizeof piece, format, copy);
  va_end(copy);
  if (n < 0) return;
  if (pending.text.empty() && pending.component.empty()) {
    const AVClass* cls = avcl != nullptr ? *static_cast<AVClass* const*>(avcl) : nullptr;
    pending.component =
        cls != nullptr && cls->item_name != nullptr ? cls->item_name(avcl) : "libav";
    pending.level = level;
  }
  pending.level = std::min(pending.level, level);
  std::string_view text(piece, std::min<size_t>(static_cast<size_t>(n), sizeof piece - 1));
  bool ends = !text.empty() && text.back() == '\n';
  if (ends) text.remove_suffix(1);
  if (pending.text.size() < kMaxLineBytes) {
    pending.text.append(text.substr(0, kMaxLineBytes - pending.text.size()));
  }
  if (!ends) return;
  Pending line = std::move(pending);
  pending = Pending{};
  if (!line.text.empty()) emit(line);
}

}  // namespace

void routeLibavLogs(std::shared_ptr<spdlog::logger> logger, uint32_t maxLinesPerSecond) {
  {
    Route& r = route();
    std::lock_guard lock(r.mutex);
    r.logger = std::move(logger);
    r.maxPerSecond = maxLinesPerSecond;
    r.inSecond = 0;
    r.suppressed = 0;
  }
  av_log_set_level(AV_LOG_WARNING);
  av_log_set_callback(callback);
}

void stopRoutingLibavLogs() {
  av_log_set_callback(av_log_default_callback);
  Route& r = route();
  std::lock_guard lock(r.mutex);
  r.logger.reset();
}

}  // namespace tidecast::core
