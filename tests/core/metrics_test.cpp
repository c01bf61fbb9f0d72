#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

namespace tidecast::core {
namespace {

TEST(MetricsRegistry, RendersCounterWithHelpAndType) {
  MetricsRegistry registry;
  registry.counter("tidecast_api_requests_total", "HTTP requests served.").inc(3);
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_api_requests_total HTTP requests served.\n"
            "# TYPE tidecast_api_requests_total counter\n"
            "tidecast_api_requests_total 3\n");
}

TEST(MetricsRegistry, RendersGaugeSeriesUnderOneHeaderWithLabelsSortedByName) {
  MetricsRegistry registry;
  registry.gauge("tidecast_core_viewers", "Viewers now.", {{"stream", "live/a"}, {"app", "live"}})
      .set(2);
  registry.gauge("tidecast_core_viewers", "Viewers now.", {{"stream", "live/b"}, {"app", "live"}})
      .add(-1.5);
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_core_viewers Viewers now.\n"
            "# TYPE tidecast_core_viewers gauge\n"
            "tidecast_core_viewers{app=\"live\",stream=\"live/a\"} 2\n"
            "tidecast_core_viewers{app=\"live\",stream=\"live/b\"} -1.5\n");
}

TEST(MetricsRegistry, RendersFamiliesInRegistrationOrder) {
  MetricsRegistry registry;
  registry.gauge("tidecast_z_last", "Z.");
  registry.counter("tidecast_a_first_total", "A.");
  registry.gauge("tidecast_z_last", "Z.", {{"k", "v"}});
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_z_last Z.\n"
            "# TYPE tidecast_z_last gauge\n"
            "tidecast_z_last 0\n"
            "tidecast_z_last{k=\"v\"} 0\n"
            "# HELP tidecast_a_first_total A.\n"
            "# TYPE tidecast_a_first_total counter\n"
            "tidecast_a_first_total 0\n");
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelpText) {
  MetricsRegistry registry;
  registry.counter("tidecast_x_total", "Line one\nback\\slash \"quoted\"",
                   {{"path", "C:\\dir\n\"x\""}});
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_x_total Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE tidecast_x_total counter\n"
            "tidecast_x_total{path=\"C:\\\\dir\\n\\\"x\\\"\"} 0\n");
}

TEST(MetricsRegistry, ReplacesInvalidUtf8InLabelValues) {
  MetricsRegistry registry;
  registry.gauge("tidecast_x", "X.", {{"key", "caf\xc3\xa9\xff"}});
  EXPECT_NE(registry.render().find("tidecast_x{key=\"caf\xc3\xa9\xef\xbf\xbd\"} 0\n"),
            std::string::npos);
}

TEST(MetricsRegistry, SameNameAndLabelsReturnTheSameObject) {
  MetricsRegistry registry;
  Counter& first = registry.counter("tidecast_x_total", "X.", {{"a", "1"}, {"b", "2"}});
  Counter& again = registry.counter("tidecast_x_total", "ignored", {{"b", "2"}, {"a", "1"}});
  Counter& other = registry.counter("tidecast_x_total", "X.", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&first, &again);
  EXPECT_NE(&first, &other);
  EXPECT_EQ(&registry.gauge("tidecast_g", "G."), &registry.gauge("tidecast_g", "G."));
}

TEST(MetricsRegistry, RendersHistogramWithCumulativeBuckets) {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("tidecast_api_request_seconds", "Latency.", {0.25, 0.5, 1},
                                    {{"route", "/x"}});
  for (const double v : {0.125, 0.25, 0.375, 0.75, 2.0}) h.observe(v);
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_api_request_seconds Latency.\n"
            "# TYPE tidecast_api_request_seconds histogram\n"
            "tidecast_api_request_seconds_bucket{route=\"/x\",le=\"0.25\"} 2\n"
            "tidecast_api_request_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n"
            "tidecast_api_request_seconds_bucket{route=\"/x\",le=\"1\"} 4\n"
            "tidecast_api_request_seconds_bucket{route=\"/x\",le=\"+Inf\"} 5\n"
            "tidecast_api_request_seconds_sum{route=\"/x\"} 3.5\n"
            "tidecast_api_request_seconds_count{route=\"/x\"} 5\n");
}

TEST(MetricsRegistry, RendersUnlabelledHistogramWithOnlyLeLabel) {
  MetricsRegistry registry;
  registry.histogram("tidecast_h", "H.", {1}).observe(1);
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_h H.\n"
            "# TYPE tidecast_h histogram\n"
            "tidecast_h_bucket{le=\"1\"} 1\n"
            "tidecast_h_bucket{le=\"+Inf\"} 1\n"
            "tidecast_h_sum 1\n"
            "tidecast_h_count 1\n");
}

TEST(Histogram, SortsAndDeduplicatesBoundsAndDropsInfinityAndNan) {
  const double inf = std::numeric_limits<double>::infinity();
  const Histogram h({5, 1, std::nan(""), 5, inf, 0.5});
  EXPECT_EQ(h.bounds(), (std::vector<double>{0.5, 1, 5}));
}

TEST(Histogram, CountsNanInTheInfBucketOnly) {
  Histogram h({1});
  h.observe(std::nan(""));
  EXPECT_EQ(h.bucketCount(0), 0u);
  EXPECT_EQ(h.bucketCount(1), 1u);
  EXPECT_EQ(h.count(), 1u);
}

TEST(MetricsRegistry, PrintsSpecialAndSmallDoublesSoPrometheusParsesThem) {
  MetricsRegistry registry;
  registry.gauge("tidecast_g", "G.", {{"v", "a"}}).set(std::numeric_limits<double>::infinity());
  registry.gauge("tidecast_g", "G.", {{"v", "b"}}).set(-std::numeric_limits<double>::infinity());
  registry.gauge("tidecast_g", "G.", {{"v", "c"}}).set(std::nan(""));
  registry.gauge("tidecast_g", "G.", {{"v", "d"}}).set(0.00001);
  registry.gauge("tidecast_g", "G.", {{"v", "e"}}).set(1e21);
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_g G.\n"
            "# TYPE tidecast_g gauge\n"
            "tidecast_g{v=\"a\"} +Inf\n"
            "tidecast_g{v=\"b\"} -Inf\n"
            "tidecast_g{v=\"c\"} NaN\n"
            "tidecast_g{v=\"d\"} 1e-05\n"
            "tidecast_g{v=\"e\"} 1e+21\n");
}

TEST(MetricsRegistry, SamplesCallbacksAtRenderTimeAndReplacesThemOnReRegistration) {
  MetricsRegistry registry;
  double value = 1;
  registry.gaugeCallback("tidecast_cb", "CB.", [&] { return value; });
  value = 4;
  EXPECT_EQ(registry.render(), "# HELP tidecast_cb CB.\n# TYPE tidecast_cb gauge\ntidecast_cb 4\n");
  registry.gaugeCallback("tidecast_cb", "CB.", [] { return 7.5; });
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_cb CB.\n# TYPE tidecast_cb gauge\ntidecast_cb 7.5\n");
}

TEST(MetricsRegistry, RunsCollectHooksOnceBeforeCallbacks) {
  MetricsRegistry registry;
  int hookRuns = 0;
  registry.addCollectHook([&] { ++hookRuns; });
  registry.counterCallback("tidecast_a_total", "A.", [&] { return double(hookRuns); });
  registry.counterCallback("tidecast_b_total", "B.", [&] { return double(hookRuns); });
  const std::string text = registry.render();
  EXPECT_EQ(hookRuns, 1);
  EXPECT_NE(text.find("tidecast_a_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("tidecast_b_total 1\n"), std::string::npos);
}

TEST(MetricsRegistry, RemoveDropsTheSeriesAndAnEmptyFamily) {
  MetricsRegistry registry;
  registry.gauge("tidecast_g", "G.", {{"stream", "a"}});
  registry.gaugeCallback("tidecast_g", "G.", [] { return 1.0; }, {{"stream", "b"}});
  EXPECT_TRUE(registry.remove("tidecast_g", {{"stream", "b"}}));
  EXPECT_FALSE(registry.remove("tidecast_g", {{"stream", "b"}}));
  EXPECT_FALSE(registry.remove("tidecast_none"));
  EXPECT_EQ(registry.render(),
            "# HELP tidecast_g G.\n# TYPE tidecast_g gauge\ntidecast_g{stream=\"a\"} 0\n");
  EXPECT_TRUE(registry.remove("tidecast_g", {{"stream", "a"}}));
  EXPECT_EQ(registry.render(), "");
  registry.gauge("tidecast_g", "G.", {{"stream", "a"}}).set(3);  // comes back, fresh
  EXPECT_NE(registry.render().find("tidecast_g{stream=\"a\"} 3\n"), std::string::npos);
}

TEST(MetricsRegistryDeathTest, TypeMismatchAssertsInDebugAndYieldsAnUnrenderedStandIn) {
  MetricsRegistry registry;
  registry.counter("tidecast_x", "X.").inc();
  EXPECT_DEBUG_DEATH(registry.gauge("tidecast_x", "X.").set(5), "two types");
  EXPECT_DEBUG_DEATH(registry.counter("bad name", "X.").inc(), "invalid metric name");
  EXPECT_DEBUG_DEATH(registry.histogram("tidecast_h", "H.", {1}, {{"le", "1"}}).observe(1),
                     "label name");
  EXPECT_DEBUG_DEATH(registry.counter("tidecast_y", "Y.", {{"__name__", "y"}}).inc(), "label name");
  EXPECT_EQ(registry.render(), "# HELP tidecast_x X.\n# TYPE tidecast_x counter\ntidecast_x 1\n");
}

TEST(Counter, CountsEveryIncrementFromManyThreads) {
  Counter counter;
  Gauge gauge;
  Histogram histogram({1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.inc();
        gauge.add(1);
        histogram.observe(0.5);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.value(), 40000u);
  EXPECT_EQ(gauge.value(), 40000.0);
  EXPECT_EQ(histogram.count(), 40000u);
  EXPECT_EQ(histogram.sum(), 20000.0);
}

}  // namespace
}  // namespace tidecast::core
