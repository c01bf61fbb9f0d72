// The latency samples of one reader, and their summary.
//
// The window opens when the stream first comes through (begin()): samples received in the
// first `warmup` seconds are dropped (a reader's first fetches bring old media), and the window
// closes `seconds` later. A stamp seen twice (a preload-hinted part, then the same part listed)
// counts once, at its first arrival.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>
#include <vector>

namespace tidecast::bench::latency {

struct LatencySummary {
  size_t samples = 0;
  double p50Ms = 0;
  double p99Ms = 0;
  double minMs = 0;
  double maxMs = 0;
  double meanMs = 0;
};

// Nearest-rank percentiles; all zero when there are no samples.
LatencySummary summarize(std::vector<double> samplesMs);

class LatencyRecorder {
 public:
  LatencyRecorder(double warmupS, double seconds);

  // Opens the window at `now` (µs); later calls change nothing.
  void begin(int64_t now);
  bool begun() const { return warmupEnd_ != 0; }
  // When the window closes (µs since the epoch); 0 before begin().
  int64_t end() const { return end_; }

  void record(int64_t stampMicros, int64_t receivedMicros);

  const std::vector<double>& samplesMs() const { return samplesMs_; }
  uint64_t stamps() const { return seen_.size(); }  // distinct stamps, warm-up included
  uint64_t duplicates() const { return duplicates_; }

 private:
  int64_t warmupMicros_;
  int64_t windowMicros_;
  int64_t warmupEnd_ = 0;
  int64_t end_ = 0;
  std::unordered_set<int64_t> seen_;
  std::vector<double> samplesMs_;
  uint64_t duplicates_ = 0;
};

}  // namespace tidecast::bench::latency
