#include "bench/latency/latency_recorder.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tidecast::bench::latency {
namespace {

double percentile(const std::vector<double>& sorted, double p) {
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

LatencySummary summarize(std::vector<double> samplesMs) {
  LatencySummary s;
  s.samples = samplesMs.size();
  if (samplesMs.empty()) return s;
  std::sort(samplesMs.begin(), samplesMs.end());
  s.p50Ms = percentile(samplesMs, 50);
  s.p99Ms = percentile(samplesMs, 99);
  s.minMs = samplesMs.front();
  s.maxMs = samplesMs.back();
  s.meanMs = std::accumulate(samplesMs.begin(), samplesMs.end(), 0.0) /
             static_cast<double>(samplesMs.size());
  return s;
}

LatencyRecorder::LatencyRecorder(double warmupS, double seconds)
    : warmupMicros_(static_cast<int64_t>(warmupS * 1e6)),
      windowMicros_(static_cast<int64_t>(seconds * 1e6)) {}

void LatencyRecorder::begin(int64_t now) {
  if (begun()) return;
  warmupEnd_ = now + warmupMicros_;
  end_ = warmupEnd_ + windowMicros_;
}

void LatencyRecorder::record(int64_t stampMicros, int64_t receivedMicros) {
  if (!seen_.insert(stampMicros).second) {
    ++duplicates_;
    return;
  }
  if (!begun() || receivedMicros < warmupEnd_ || receivedMicros > end_) return;
  samplesMs_.push_back(static_cast<double>(receivedMicros - stampMicros) / 1000.0);
}

}  // namespace tidecast::bench::latency
