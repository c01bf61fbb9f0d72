#include "core/process_stats.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "core/metrics.h"

namespace tidecast::core {
namespace {

double nowSeconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

TEST(ProcessStats, ReadsPlausibleFiguresForThisProcess) {
  const ProcessStats stats = readProcessStats();
  EXPECT_GT(stats.rssBytes, 0u);
  EXPECT_GE(stats.virtualBytes, stats.rssBytes);
  EXPECT_GE(stats.cpuSeconds, 0.0);
  EXPECT_GE(stats.openFds, 3u);  // stdin, stdout, stderr
  EXPECT_GE(stats.maxFds, stats.openFds);
  EXPECT_GE(stats.threads, 1u);
  EXPECT_LE(stats.startTimeSeconds, nowSeconds() + 1);  // clock ticks round
  EXPECT_GT(stats.startTimeSeconds, nowSeconds() - 86400);
}

TEST(ProcessStats, CountsThreadsAsTheyStart) {
  const uint32_t before = readProcessStats().threads;
  std::thread extra([&] { EXPECT_GE(readProcessStats().threads, before + 1); });
  extra.join();
}

TEST(ProcessStats, RegistersTheStandardProcessCollectorNames) {
  MetricsRegistry registry;
  registerProcessMetrics(registry);
  const std::string text = registry.render();
  for (const char* line :
       {"# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ",
        "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ",
        "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes ",
        "# TYPE process_open_fds gauge\nprocess_open_fds ",
        "# TYPE process_max_fds gauge\nprocess_max_fds ",
        "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds ",
        "# TYPE process_threads gauge\nprocess_threads "}) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
  EXPECT_EQ(text.find("process_resident_memory_bytes 0\n"), std::string::npos);
}

}  // namespace
}  // namespace tidecast::core
