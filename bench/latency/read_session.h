// One reader's run: its options, HTTP client, latency samples, counters and outcome, shared by
// the mode-specific loops (hls_reader.cpp, ll_hls_reader.cpp, dash_reader.cpp). One thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/latency/http_client.h"
#include "bench/latency/latency_recorder.h"

namespace tidecast::bench::latency {

struct ReadOptions {
  std::string mode;  // ll-hls | hls | dash
  std::string url;
  double warmupS = 2;
  double seconds = 20;
  double startTimeoutS = 20;  // the stream must appear within this, from the start
  int pollMs = 100;           // playlist / MPD polling interval where nothing blocks
  bool preloadHint = true;    // LL-HLS: GET the EXT-X-PRELOAD-HINT part ahead
};

class ReadSession {
 public:
  explicit ReadSession(ReadOptions options);

  const ReadOptions& options() const { return options_; }
  HttpClient& http() { return http_; }

  // Calls `attempt` every poll interval until it returns true (the stream is there: the
  // measurement window opens) or the start timeout passes (false, and the run fails with the
  // last `why` the attempt gave).
  bool awaitStream(const std::function<bool(std::string& why)>& attempt);
  // The window is open and has not closed, and the run has not failed.
  bool running() const;
  // Sleeps, but not past the window's end.
  void sleepMs(int ms) const;

  // GETs `url` and records the stamps of its body as they arrive (body_stamps.h); a 2xx
  // response is counted under `counter`.
  HttpResult fetchStamped(const std::string& url, const std::string& counter);

  // A stamp whose bytes arrived at `arrivedMicros`.
  void stamp(int64_t stampMicros, int64_t arrivedMicros) {
    latency_.record(stampMicros, arrivedMicros);
  }
  // Adds to a counter of the report; returns its new value.
  uint64_t count(const std::string& what, uint64_t n = 1) { return counts_[what] += n; }
  void note(const std::string& text);  // something worth reporting, kept once
  void fail(const std::string& why);   // ends the run

  bool failed() const { return !error_.empty(); }
  nlohmann::json report() const;
  std::string summaryLine() const;

 private:
  ReadOptions options_;
  HttpClient http_;
  LatencyRecorder latency_;
  int64_t startedAt_;
  std::string error_;
  std::map<std::string, uint64_t> counts_;
  std::vector<std::string> notes_;
};

// The readers: each runs until its window closes or it fails, filling the session.
void readLlHls(ReadSession& session);
void readHls(ReadSession& session);
void readDash(ReadSession& session);

}  // namespace tidecast::bench::latency
