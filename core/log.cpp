#include "core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <iterator>
#include <utility>

#include "core/utf8.h"

namespace tidecast::core {
namespace {

using spdlog::memory_buf_t;
namespace level = spdlog::level;

// Indexed by spdlog::level::level_enum. Our own names: spdlog says "warning", operators and
// the config say "warn".
constexpr std::array<std::string_view, 7> kLevelNames = {"trace", "debug",    "info", "warn",
                                                         "error", "critical", "off"};

std::string_view levelName(level::level_enum lvl) {
  const auto index = static_cast<size_t>(lvl);
  return index < kLevelNames.size() ? kLevelNames[index] : "unknown";
}

void append(memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

// Pure calendar arithmetic: no gmtime, no time zone database, no locale.
void appendTimestamp(memory_buf_t& out, spdlog::log_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = floor<milliseconds>(time);
  const auto day = floor<days>(ms);
  const year_month_day date{day};
  const hh_mm_ss clock{ms - day};
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                 static_cast<unsigned>(date.day()), clock.hours().count(), clock.minutes().count(),
                 clock.seconds().count(), clock.subseconds().count());
}

bool isControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Text lines stay one event per line: control characters (a newline inside a stream key,
// say) are shown escaped rather than starting a forged line.
void appendTextEscaped(memory_buf_t& out, std::string_view text) {
  const auto needsEscape = [](char c) { return isControl(static_cast<unsigned char>(c)); };
  if (std::none_of(text.begin(), text.end(), needsEscape)) {
    append(out, text);  // the common case: one copy
    return;
  }
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (!isControl(c)) {
      out.push_back(ch);
    } else if (c == '\n') {
      append(out, "\\n");
    } else if (c == '\r') {
      append(out, "\\r");
    } else if (c == '\t') {
      append(out, "\\t");
    } else {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", c);
    }
  }
}

// A JSON string literal (RFC 8259). Invalid UTF-8 becomes U+FFFD: log shippers reject the
// whole line otherwise, and messages may carry bytes straight from the network.
void appendJsonString(memory_buf_t& out, std::string_view text) {
  out.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else if (c >= 0x80) {
      const size_t length = utf8SequenceLength(text, i);
      append(out, length == 0 ? std::string_view("\\ufffd") : text.substr(i, length));
      i += length == 0 ? 1 : length;
      continue;
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
}

std::string_view payloadOf(const spdlog::details::log_msg& msg) {
  return {msg.payload.data(), msg.payload.size()};
}

// Formatters run under the sink's mutex (spdlog _mt sinks), so they need no locking.
class TextFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, memory_buf_t& dest) override {
    appendTimestamp(dest, msg.time);
    fmt::format_to(std::back_inserter(dest), " {:<5} ", levelName(msg.level));
    appendTextEscaped(dest, payloadOf(msg));
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<TextFormatter>();
  }
};

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, memory_buf_t& dest) override {
    append(dest, R"({"ts":")");
    appendTimestamp(dest, msg.time);
    append(dest, R"(","level":")");
    append(dest, levelName(msg.level));
    append(dest, R"(","msg":)");
    appendJsonString(dest, payloadOf(msg));
    append(dest, "}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

std::unique_ptr<spdlog::formatter> makeLogFormatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  return std::make_unique<TextFormatter>();
}

std::optional<level::level_enum> parseLogLevel(std::string_view name) {
  const auto* found = std::find(kLevelNames.begin(), kLevelNames.end(), name);
  if (found == kLevelNames.end()) return std::nullopt;
  return static_cast<level::level_enum>(found - kLevelNames.begin());
}

void reconfigureLogger(spdlog::logger& logger, const LogConfig& cfg) {
  logger.set_formatter(makeLogFormatter(cfg.format));
  if (const auto lvl = parseLogLevel(cfg.level)) {
    logger.set_level(*lvl);
    return;
  }
  logger.error("log.bad_level level={} kept={}", cfg.level, levelName(logger.level()));
}

std::shared_ptr<spdlog::logger> makeLogger(const LogConfig& cfg, spdlog::sink_ptr sink,
                                           std::string name) {
  // Constructed directly, not through spdlog::stderr_logger_mt(): that would register the
  // logger in spdlog's process-wide registry.
  auto logger = std::make_shared<spdlog::logger>(std::move(name), std::move(sink));
  logger->set_level(level::info);
  reconfigureLogger(*logger, cfg);
  return logger;
}

std::shared_ptr<spdlog::logger> makeLogger(const LogConfig& cfg, std::string name) {
  return makeLogger(cfg, std::make_shared<spdlog::sinks::stderr_sink_mt>(), std::move(name));
}

}  // namespace tidecast::core
