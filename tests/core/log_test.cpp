#include "core/log.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>

namespace tidecast::core {
namespace {

using namespace std::chrono_literals;

// 2026-11-23T12:00:00.123Z
spdlog::log_clock::time_point fixedTime() {
  return std::chrono::sys_days{std::chrono::year{2026} / 11 / 23} + 12h + 123ms;
}

std::string formatLine(LogFormat format, std::string_view message,
                       spdlog::level::level_enum level = spdlog::level::info) {
  const spdlog::details::log_msg msg(fixedTime(), spdlog::source_loc{}, "test", level,
                                     spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t out;
  makeLogFormatter(format)->format(msg, out);
  return fmt::to_string(out);
}

// True when `text` starts with a timestamp shaped like 2026-11-23T12:00:00.123Z.
bool startsWithTimestamp(std::string_view text) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kShape[i] == 'd' ? !digit : text[i] != kShape[i]) return false;
  }
  return true;
}

struct CapturedLogger {
  std::ostringstream stream;
  std::shared_ptr<spdlog::logger> logger;

  explicit CapturedLogger(const LogConfig& cfg)
      : logger(makeLogger(cfg, std::make_shared<spdlog::sinks::ostream_sink_mt>(stream),
                          "captured")) {}
};

TEST(LogFormatter, TextLineHasUtcMillisecondTimestampPaddedLevelAndMessage) {
  EXPECT_EQ(formatLine(LogFormat::kText, "http.listen addr=0.0.0.0 port=8080"),
            "2026-11-23T12:00:00.123Z info  http.listen addr=0.0.0.0 port=8080\n");
  EXPECT_EQ(formatLine(LogFormat::kText, "x", spdlog::level::critical),
            "2026-11-23T12:00:00.123Z critical x\n");
  EXPECT_EQ(formatLine(LogFormat::kText, "x", spdlog::level::warn),
            "2026-11-23T12:00:00.123Z warn  x\n");
}

TEST(LogFormatter, TextEscapesControlCharactersToKeepOneLinePerEvent) {
  EXPECT_EQ(formatLine(LogFormat::kText, "rtmp.publish key=a\nb\tc\r\x01"),
            "2026-11-23T12:00:00.123Z info  rtmp.publish key=a\\nb\\tc\\r\\x01\n");
}

TEST(LogFormatter, JsonLineHasTimestampLevelAndMessage) {
  EXPECT_EQ(
      formatLine(LogFormat::kJson, "http.listen addr=0.0.0.0 port=8080"),
      R"({"ts":"2026-11-23T12:00:00.123Z","level":"info","msg":"http.listen addr=0.0.0.0 port=8080"})"
      "\n");
}

TEST(LogFormatter, JsonEscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(
      formatLine(LogFormat::kJson, "say \"hi\" C:\\dir\n\t\x01\x1f", spdlog::level::err),
      R"({"ts":"2026-11-23T12:00:00.123Z","level":"error","msg":"say \"hi\" C:\\dir\u000a\u0009\u0001\u001f"})"
      "\n");
}

TEST(LogFormatter, JsonKeepsValidUtf8AndReplacesInvalidBytes) {
  // é (2 bytes), € (3), 😀 (4) pass through; a stray continuation byte, an overlong '/',
  // a UTF-16 surrogate and a truncated sequence do not.
  const std::string valid = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
  EXPECT_EQ(formatLine(LogFormat::kJson, valid),
            R"({"ts":"2026-11-23T12:00:00.123Z","level":"info","msg":")" + valid + "\"}\n");
  EXPECT_EQ(
      formatLine(LogFormat::kJson, "a\x80 b\xc0\xaf c\xed\xa0\x80 d\xe2\x82"),
      R"({"ts":"2026-11-23T12:00:00.123Z","level":"info","msg":"a\ufffd b\ufffd\ufffd c\ufffd\ufffd\ufffd d\ufffd\ufffd"})"
      "\n");
}

TEST(ParseLogLevel, AcceptsTheDocumentedNames) {
  EXPECT_EQ(parseLogLevel("trace"), spdlog::level::trace);
  EXPECT_EQ(parseLogLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(parseLogLevel("info"), spdlog::level::info);
  EXPECT_EQ(parseLogLevel("warn"), spdlog::level::warn);
  EXPECT_EQ(parseLogLevel("error"), spdlog::level::err);
  EXPECT_EQ(parseLogLevel("critical"), spdlog::level::critical);
  EXPECT_EQ(parseLogLevel("off"), spdlog::level::off);
}

TEST(ParseLogLevel, RejectsAnythingElse) {
  EXPECT_FALSE(parseLogLevel(""));
  EXPECT_FALSE(parseLogLevel("INFO"));
  EXPECT_FALSE(parseLogLevel("warning"));
  EXPECT_FALSE(parseLogLevel("info "));
}

TEST(MakeLogger, WritesTextLinesAtOrAboveTheConfiguredLevel) {
  CapturedLogger captured(LogConfig{"info", LogFormat::kText});
  captured.logger->debug("hidden");
  captured.logger->info("stream.started key={} viewers={}", "live/cat", 3);
  const std::string line = captured.stream.str();
  EXPECT_TRUE(startsWithTimestamp(line)) << line;
  EXPECT_EQ(line.substr(24), " info  stream.started key=live/cat viewers=3\n");
}

TEST(MakeLogger, DoesNotRegisterInSpdlogsGlobalRegistry) {
  CapturedLogger captured(LogConfig{});
  EXPECT_EQ(spdlog::get("captured"), nullptr);
}

TEST(MakeLogger, FallsBackToInfoOnUnknownLevel) {
  CapturedLogger captured(LogConfig{"chatty", LogFormat::kText});
  EXPECT_EQ(captured.logger->level(), spdlog::level::info);
  EXPECT_NE(captured.stream.str().find("log.bad_level level=chatty kept=info"), std::string::npos);
}

TEST(ReconfigureLogger, SwitchesLevelAndFormatOnALiveLogger) {
  CapturedLogger captured(LogConfig{"info", LogFormat::kText});
  reconfigureLogger(*captured.logger, LogConfig{"debug", LogFormat::kJson});
  captured.logger->debug("config.reloaded");
  const std::string line = captured.stream.str();
  ASSERT_EQ(line.substr(0, 7), R"({"ts":")") << line;
  EXPECT_TRUE(startsWithTimestamp(line.substr(7))) << line;
  EXPECT_EQ(line.substr(31), R"(","level":"debug","msg":"config.reloaded"})"
                             "\n");
}

TEST(ReconfigureLogger, KeepsTheCurrentLevelWhenTheNewOneIsUnknown) {
  CapturedLogger captured(LogConfig{"warn", LogFormat::kText});
  reconfigureLogger(*captured.logger, LogConfig{"loud", LogFormat::kText});
  EXPECT_EQ(captured.logger->level(), spdlog::level::warn);
  EXPECT_NE(captured.stream.str().find("log.bad_level level=loud kept=warn"), std::string::npos);
}

TEST(ReconfigureLogger, IsSafeWhileAnotherThreadLogs) {
  CapturedLogger captured(LogConfig{"info", LogFormat::kText});
  constexpr int kLines = 2000;
  std::thread writer([&] {
    for (int i = 0; i < kLines; ++i) captured.logger->info("tick n={}", i);
  });
  for (int i = 0; i < 200; ++i) {
    reconfigureLogger(*captured.logger,
                      LogConfig{"info", i % 2 == 0 ? LogFormat::kJson : LogFormat::kText});
  }
  writer.join();
  std::istringstream lines(captured.stream.str());
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count) {
    const bool text = startsWithTimestamp(line) && line.find(" info  tick n=") == 24;
    const bool json = line.starts_with(R"({"ts":")") && line.ends_with("\"}");
    EXPECT_TRUE(text || json) << line;
  }
  EXPECT_EQ(count, kLines);
}

}  // namespace
}  // namespace tidecast::core
