// Micro-benchmarks for core/: the costs paid on hot paths (metric updates) and by every
// /metrics scrape (render). main() comes from benchmark_main.
#include <benchmark/benchmark.h>

#include <string>

#include "core/metrics.h"

namespace tidecast::core {
namespace {

void BM_CounterInc(benchmark::State& state) {
  MetricsRegistry registry;
  Counter& counter = registry.counter("tidecast_bench_events_total", "Events.");
  for (auto _ : state) counter.inc();
  benchmark::DoNotOptimize(counter.value());
}
BENCHMARK(BM_CounterInc);

// Two threads on one counter (a transcode worker and the loop, say): what contention on the
// shared atomic costs. The counter is static only so both benchmark threads see it.
void BM_CounterIncShared(benchmark::State& state) {
  static Counter shared;
  for (auto _ : state) shared.inc();
  benchmark::DoNotOptimize(shared.value());
}
BENCHMARK(BM_CounterIncShared)->Threads(2);

void BM_HistogramObserve(benchmark::State& state) {
  Histogram histogram({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  double value = 0;
  for (auto _ : state) {
    histogram.observe(value);
    value = value < 12 ? value + 0.013 : 0;  // walk every bucket, +Inf included
  }
  benchmark::DoNotOptimize(histogram.count());
}
BENCHMARK(BM_HistogramObserve);

// A scrape of a busy server: ~200 series over counters, gauges, callbacks and histograms,
// most of them labelled by stream.
void BM_RegistryRender(benchmark::State& state) {
  MetricsRegistry registry;
  constexpr int kStreams = 40;
  for (int i = 0; i < kStreams; ++i) {
    const Labels labels = {{"app", "live"}, {"stream", "live/stream" + std::to_string(i)}};
    registry.counter("tidecast_core_packets_total", "Packets received.", labels).inc(i * 1000);
    registry.counter("tidecast_core_bytes_total", "Bytes received.", labels).inc(i * 100000);
    registry.gauge("tidecast_core_viewers", "Viewers now.", labels).set(i);
    registry.gaugeCallback(
        "tidecast_core_bitrate_bits_per_second", "Ingest bitrate.", [i] { return 2.5e6 + i; },
        labels);
  }
  for (int i = 0; i < kStreams; ++i) {
    const Labels labels = {{"route", "/route" + std::to_string(i)}};
    registry
        .histogram("tidecast_api_request_duration_seconds", "Request latency.",
                   {0.001, 0.01, 0.1, 1}, labels)
        .observe(0.02 * i);
  }
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string text = registry.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_RegistryRender);

}  // namespace
}  // namespace tidecast::core
