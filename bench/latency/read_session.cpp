#include "bench/latency/read_session.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "bench/latency/body_stamps.h"
#include "bench/latency/wall_clock.h"

namespace tidecast::bench::latency {
namespace {

double rounded(double v) { return std::round(v * 1000) / 1000; }

}  // namespace

ReadSession::ReadSession(ReadOptions options)
    : options_(std::move(options)),
      latency_(options_.warmupS, options_.seconds),
      startedAt_(wallMicros()) {
  http_.setDeadline(startedAt_ + static_cast<int64_t>(options_.startTimeoutS * 1e6));
}

bool ReadSession::awaitStream(const std::function<bool(std::string& why)>& attempt) {
  const int64_t giveUp = startedAt_ + static_cast<int64_t>(options_.startTimeoutS * 1e6);
  std::string why;
  while (true) {
    if (attempt(why)) break;
    if (wallMicros() + int64_t{options_.pollMs} * 1000 > giveUp) {
      char limit[32];
      std::snprintf(limit, sizeof(limit), "%g", options_.startTimeoutS);
      fail(std::string("the stream did not appear within ") + limit + " s: " + why);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(options_.pollMs));
  }
  latency_.begin(wallMicros());
  http_.setDeadline(latency_.end());
  return true;
}

HttpResult ReadSession::fetchStamped(const std::string& url, const std::string& counter) {
  BodyStamps stamps([this](int64_t stampMicros, int64_t arrived) { stamp(stampMicros, arrived); });
  uint64_t bytes = 0;
  HttpResult result = http_.get(url, [&](std::span<const uint8_t> piece, int64_t arrived) {
    bytes += piece.size();
    stamps.feed(piece, arrived);
  });
  count("bytes", bytes);
  if (result.ok()) {
    count(counter);
    if (stamps.stamps() == 0) count(counter + "_without_stamp");
  }
  return result;
}

bool ReadSession::running() const {
  // A request needs at least a millisecond (libcurl's timeout unit) to be worth starting.
  return error_.empty() && latency_.begun() && wallMicros() + 1000 < latency_.end();
}

void ReadSession::sleepMs(int ms) const {
  int64_t left = latency_.begun() ? (latency_.end() - wallMicros()) / 1000 : ms;
  std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<int64_t>(left, 0, ms)));
}

void ReadSession::note(const std::string& text) {
  if (std::find(notes_.begin(), notes_.end(), text) == notes_.end()) notes_.push_back(text);
}

void ReadSession::fail(const std::string& why) {
  if (error_.empty()) error_ = why;
}

nlohmann::json ReadSession::report() const {
  LatencySummary s = summarize(latency_.samplesMs());
  auto ms = [&](double v) -> nlohmann::json {
    return s.samples == 0 ? nlohmann::json() : nlohmann::json(rounded(v));
  };
  nlohmann::json j = {{"mode", options_.mode},
                      {"url", options_.url},
                      {"samples", s.samples},
                      {"p50_ms", ms(s.p50Ms)},
                      {"p99_ms", ms(s.p99Ms)},
                      {"max_ms", ms(s.maxMs)},
                      {"min_ms", ms(s.minMs)},
                      {"mean_ms", ms(s.meanMs)},
                      {"window_s", options_.seconds},
                      {"warmup_s", options_.warmupS},
                      {"samples_per_s", rounded(static_cast<double>(s.samples) / options_.seconds)},
                      {"duplicate_stamps", latency_.duplicates()},
                      {"requests", http_.requests()},
                      {"counts", counts_},
                      {"notes", notes_}};
  if (!error_.empty()) j["error"] = error_;
  return j;
}

std::string ReadSession::summaryLine() const {
  LatencySummary s = summarize(latency_.samplesMs());
  char text[256] = "no samples";
  if (s.samples > 0) {
    std::snprintf(text, sizeof(text),
                  "%zu samples, p50 %.1f ms, p99 %.1f ms, min %.1f ms, max %.1f ms, mean %.1f ms",
                  s.samples, s.p50Ms, s.p99Ms, s.minMs, s.maxMs, s.meanMs);
  }
  std::string line = options_.mode + " " + options_.url + ": " + text;
  if (!error_.empty()) line += "; FAILED: " + error_;
  for (const std::string& n : notes_) line += "; note: " + n;
  return line;
}

}  // namespace tidecast::bench::latency
