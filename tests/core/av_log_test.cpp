// FFmpeg's log lines routed into the server's logger: levels, components, lines built from
// pieces, control bytes kept on one line, and the process-wide rate limit.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

extern "C" {
#include <libavutil/log.h>
}

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "core/av_log.h"
#include "core/log.h"

namespace tidecast::core {
namespace {

struct LibavLogTest : ::testing::Test {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;

  void route(const std::string& level, uint32_t perSecond = 20) {
    LogConfig cfg;
    cfg.level = level;
    logger = makeLogger(cfg, std::make_shared<spdlog::sinks::ostream_sink_mt>(out), "test");
    routeLibavLogs(logger, perSecond);
  }
  void TearDown() override { stopRoutingLibavLogs(); }

  size_t count(const std::string& needle) const {
    std::string text = out.str();
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
};

// An object FFmpeg would log for: its first member points at its AVClass.
const AVClass kDemuxerClass = [] {
  AVClass c{};
  c.class_name = "mpegts";
  c.item_name = av_default_item_name;
  c.version = LIBAVUTIL_VERSION_INT;
  return c;
}();
struct FakeContext {
  const AVClass* cls = &kDemuxerClass;
};

TEST_F(LibavLogTest, LinesCarryLevelComponentAndMessage) {
  route("info");
  FakeContext demuxer;
  av_log(&demuxer, AV_LOG_ERROR, "PES packet size mismatch %d\n", 7);
  av_log(nullptr, AV_LOG_WARNING, "no component here\n");
  std::string text = out.str();
  EXPECT_NE(text.find("error libav component=mpegts msg=\"PES packet size mismatch 7\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("warn  libav component=libav msg=\"no component here\""), std::string::npos)
      << text;
}

TEST_F(LibavLogTest, BelowTheLevelsNothingIsWritten) {
  route("error");
  av_log(nullptr, AV_LOG_WARNING, "a warning\n");
  av_log(nullptr, AV_LOG_INFO, "x264 statistics\n");  // below av_log's warning level too
  av_log(nullptr, AV_LOG_DEBUG, "debug\n");
  EXPECT_EQ(out.str(), "");
  av_log(nullptr, AV_LOG_FATAL, "fatal\n");
  EXPECT_EQ(count("error libav component=libav msg=\"fatal\""), 1u) << out.str();
}

TEST_F(LibavLogTest, APieceWithoutNewlineWaitsForTheRestOfItsLine) {
  route("info");
  av_log(nullptr, AV_LOG_WARNING, "first half, ");
  EXPECT_EQ(out.str(), "");
  av_log(nullptr, AV_LOG_WARNING, "second half\n");
  EXPECT_EQ(count("msg=\"first half, second half\""), 1u) << out.str();
}

TEST_F(LibavLogTest, ControlBytesFromTheStreamStayOnOneLine) {
  route("info");
  av_log(nullptr, AV_LOG_ERROR, "stream id %s\n", "a\nb\x01");
  std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("a\\nb\\x01"), std::string::npos) << text;
}

TEST_F(LibavLogTest, AFloodIsCutToTheRateAndTheRestIsCounted) {
  route("info", 5);
  // Start right after a second boundary so all 50 lines fall in one second.
  auto second = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  };
  for (auto s = second(); second() == s;) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (int i = 0; i < 50; ++i) av_log(nullptr, AV_LOG_ERROR, "corrupt packet %d\n", i);
  EXPECT_EQ(count("corrupt packet"), 5u) << out.str();
  for (auto s = second(); second() == s;) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  av_log(nullptr, AV_LOG_ERROR, "after the flood\n");
  EXPECT_EQ(count("libav.suppressed lines=45"), 1u) << out.str();
  EXPECT_EQ(count("after the flood"), 1u) << out.str();
}

TEST_F(LibavLogTest, LinesFromManyThreadsStayWhole) {
  route("info", 1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 50; ++i) {
        av_log(nullptr, AV_LOG_WARNING, "thread %d ", t);
        av_log(nullptr, AV_LOG_WARNING, "line %d\n", i);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(count("msg=\"thread " + std::to_string(t) + " line "), 50u) << t;
  }
}

}  // namespace
}  // namespace tidecast::core
