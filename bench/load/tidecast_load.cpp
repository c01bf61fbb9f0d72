// tidecast-load: many live players in one process, for fan-out benchmarks.
//
//   tidecast-load rtmp-play --url rtmp://127.0.0.1:1935/live/bench -n 1000 --duration 20
//   tidecast-load flv-play  --url http://127.0.0.1:8080/live/bench.flv -n 200 --duration 20
//   tidecast-load ws-echo   --url ws://127.0.0.1:8080/ws/echo -n 100 --duration 10
//   tidecast-load ws-idle   --url ws://127.0.0.1:8080/ws -n 5000 --server-pid PID
//   (WebSocket modes: see bench/load/ws_load.cpp)
//
// Connections are opened at --ramp per second. Once all are open, --settle seconds pass, then
// the measurement window of --duration seconds runs; then everything is closed and the report
// printed (text on stdout, or JSON on stdout with --json and the text on stderr).
//
// Options:
//   --url URL            rtmp://IP:PORT/APP/KEY or http://IP:PORT/PATH (numeric IPv4 only)
//   -n N                 connections (1..20000)
//   --duration S         measurement window, seconds (1..600)
//   --ramp R             connections opened per second (default 200)
//   --settle S           seconds between the last connection opened and the window (default 2)
//   --stall-ms MS        a gap between media messages longer than this is a stall (default 1000)
//   --server-pid PID     sample this process's CPU time and RSS at the window's start and end
//                        (repeat for several processes, e.g. nginx master and worker)
//   --json               JSON report on stdout
//
// Report: connections ok (playing from the window's start to its end) and failed (with the
// reasons), join time (connect() → first coded video frame; also → first key frame), bytes/s
// in the window, per-connection kbit/s, video frames/s per connection (median, min), stalls
// (gaps > --stall-ms after the first frame, over the whole run), the server's CPU seconds
// per player-second and RSS, this process's own CPU use (a saturated load generator makes
// the server look slow: check it) and how busy each CPU of the machine was (other jobs).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/load/player.h"

namespace tidecast::bench {

uint64_t nowNs() { return uv_hrtime(); }

void connectTcp(core::TcpStream& stream, const Target& target, std::function<void(int)> done) {
  struct Request {
    uv_connect_t req{};
    std::function<void(int)> done;
  };
  sockaddr_in address{};
  if (int rc = uv_ip4_addr(target.host.c_str(), target.port, &address); rc != 0) {
    done(rc);
    return;
  }
  auto request = std::make_unique<Request>();
  request->done = std::move(done);
  request->req.data = request.get();
  int rc = uv_tcp_connect(&request->req, stream.raw(), reinterpret_cast<const sockaddr*>(&address),
                          [](uv_connect_t* req, int status) {
                            std::unique_ptr<Request> owned(static_cast<Request*>(req->data));
                            // Closed before the connect finished: the player may be gone.
                            if (status == UV_ECANCELED || req->handle->data == nullptr) return;
                            owned->done(status);
                          });
  if (rc != 0) {
    request->done(rc);
    return;
  }
  (void)request.release();  // freed in the callback, which libuv always calls
}

namespace {

enum class Mode { kRtmp, kFlv };

struct Options {
  Mode mode = Mode::kRtmp;
  std::string url;
  int connections = 0;
  double durationS = 0;
  double ramp = 200;
  double settleS = 2;
  double stallMs = 1000;
  std::vector<int> serverPids;
  bool json = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "tidecast-load: %s\n"
               "usage: tidecast-load rtmp-play|flv-play --url URL -n N --duration S [--ramp R]\n"
               "       [--settle S] [--stall-ms MS] [--server-pid PID]... [--json]\n",
               why);
  std::exit(2);
}

double number(const char* text, const char* name, double lo, double hi) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= lo && v <= hi)) {
    std::string why = std::string(name) + ": expected a number in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "]";
    usage(why.c_str());
  }
  return v;
}

Options parseArgs(int argc, char** argv) {
  if (argc < 2) usage("missing mode");
  Options o;
  std::string mode = argv[1];
  if (mode == "rtmp-play") {
    o.mode = Mode::kRtmp;
  } else if (mode == "flv-play") {
    o.mode = Mode::kFlv;
  } else {
    usage("mode must be rtmp-play or flv-play");
  }
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "-n") {
      o.connections = static_cast<int>(number(value(), "-n", 1, 20000));
    } else if (a == "--duration") {
      o.durationS = number(value(), "--duration", 1, 600);
    } else if (a == "--ramp") {
      o.ramp = number(value(), "--ramp", 1, 100000);
    } else if (a == "--settle") {
      o.settleS = number(value(), "--settle", 0, 60);
    } else if (a == "--stall-ms") {
      o.stallMs = number(value(), "--stall-ms", 10, 60000);
    } else if (a == "--server-pid") {
      o.serverPids.push_back(static_cast<int>(number(value(), "--server-pid", 1, 1 << 30)));
    } else if (a == "--json") {
      o.json = true;
    } else {
      usage(("unknown option " + a).c_str());
    }
  }
  if (o.url.empty() || o.connections == 0 || o.durationS == 0) {
    usage("--url, -n and --duration are required");
  }
  return o;
}

// rtmp://IP:PORT/app/key or http://IP:PORT/path
Target parseUrl(const std::string& url, Mode mode) {
  std::string scheme = mode == Mode::kRtmp ? "rtmp://" : "http://";
  if (url.rfind(scheme, 0) != 0) usage(("url must start with " + scheme).c_str());
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  Target t;
  size_t colon = authority.rfind(':');
  t.host = authority.substr(0, colon);
  t.port = mode == Mode::kRtmp ? 1935 : 80;
  if (colon != std::string::npos) {
    t.port = static_cast<uint16_t>(number(authority.substr(colon + 1).c_str(), "port", 1, 65535));
  }
  sockaddr_in probe{};
  if (uv_ip4_addr(t.host.c_str(), t.port, &probe) != 0) usage("host must be a numeric IPv4");
  t.path = path;
  if (mode == Mode::kRtmp) {
    std::string p = path.substr(1);
    size_t s = p.find('/');
    if (s == std::string::npos || s == 0 || s + 1 >= p.size()) usage("rtmp url needs /app/key");
    t.app = p.substr(0, s);
    t.key = p.substr(s + 1);
  }
  return t;
}

// utime+stime (seconds) and VmRSS (kB) of a process; -1 when it cannot be read.
struct ProcSample {
  double cpuS = -1;
  long rssKb = -1;
};

ProcSample sampleProc(int pid) {
  ProcSample s;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (std::getline(stat, line)) {
    size_t close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(line.substr(close + 2));
      std::vector<std::string> f;
      std::string x;
      while (fields >> x) f.push_back(x);
      // After "pid (comm) ": state is field 3, utime 14, stime 15 → indexes 11 and 12 here.
      if (f.size() > 12) {
        s.cpuS = static_cast<double>(std::stoull(f[11]) + std::stoull(f[12])) /
                 static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
  }
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) s.rssKb = std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return s;
}

ProcSample sampleProcs(const std::vector<int>& pids) {
  ProcSample total{0, 0};
  for (int pid : pids) {
    ProcSample s = sampleProc(pid);
    if (s.cpuS < 0 || s.rssKb < 0) return {};
    total.cpuS += s.cpuS;
    total.rssKb += s.rssKb;
  }
  return total;
}

// Busy and total jiffies per CPU from /proc/stat (busy = everything but idle and iowait).
std::vector<std::pair<uint64_t, uint64_t>> cpuTimes() {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("cpu", 0) != 0 || line.size() < 4 ||
        !std::isdigit(static_cast<unsigned char>(line[3]))) {
      continue;
    }
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    uint64_t v = 0;
    uint64_t total = 0;
    uint64_t idle = 0;
    for (int i = 0; i < 8 && fields >> v; ++i) {  // user nice system idle iowait irq softirq steal
      total += v;
      if (i == 3 || i == 4) idle += v;
    }
    out.emplace_back(total - idle, total);
  }
  return out;
}

double selfCpuS() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Snapshot {
  uint64_t wireBytes = 0;
  uint64_t mediaBytes = 0;
  uint64_t videoFrames = 0;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

std::string jsonNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

void raiseFileLimit(int connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t want = static_cast<rlim_t>(connections) + 64;
  if (limit.rlim_cur >= want) return;
  limit.rlim_cur = std::min(limit.rlim_max, std::max(want, limit.rlim_cur));
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur < want) {
    std::fprintf(stderr, "tidecast-load: warning: open files limited to %llu (want %llu)\n",
                 static_cast<unsigned long long>(limit.rlim_cur),
                 static_cast<unsigned long long>(want));
  }
}

int run(const Options& options) {
  Target target = parseUrl(options.url, options.mode);
  raiseFileLimit(options.connections);
  core::Loop loop;
  PlayerOptions playerOptions;
  playerOptions.stallNs = static_cast<uint64_t>(options.stallMs * 1e6);

  const int n = options.connections;
  std::vector<std::unique_ptr<Player>> players;
  players.reserve(static_cast<size_t>(n));
  const uint64_t rampMs = static_cast<uint64_t>(std::ceil(n * 1000.0 / options.ramp));
  const uint64_t windowStartMs = rampMs + static_cast<uint64_t>(options.settleS * 1000);
  const uint64_t windowMs = static_cast<uint64_t>(options.durationS * 1000);
  const uint64_t t0 = nowNs();

  // Ramp: every 5 ms, open as many as the rate allows so far.
  core::Timer rampTimer(loop);
  rampTimer.start(0, 5, [&] {
    double elapsedS = static_cast<double>(nowNs() - t0) / 1e9;
    int due = std::min(n, static_cast<int>(elapsedS * options.ramp) + 1);
    while (static_cast<int>(players.size()) < due) {
      auto player = options.mode == Mode::kRtmp ? makeRtmpPlayer(loop, target, playerOptions)
                                                : makeFlvPlayer(loop, target, playerOptions);
      player->start();
      players.push_back(std::move(player));
    }
    if (static_cast<int>(players.size()) == n) rampTimer.stop();
  });

  std::vector<Snapshot> atStart;
  std::vector<bool> okAtStart;
  ProcSample serverStart;
  double selfStart = 0;
  std::vector<std::pair<uint64_t, uint64_t>> cpusStart;
  uint64_t windowStartNs = 0;
  core::Timer windowTimer(loop);
  windowTimer.start(windowStartMs, 0, [&] {
    windowStartNs = nowNs();
    serverStart = sampleProcs(options.serverPids);
    selfStart = selfCpuS();
    cpusStart = cpuTimes();
    for (const auto& p : players) {
      const auto& s = p->stats();
      atStart.push_back({s.wireBytes, s.mediaBytes, s.videoFrames});
      okAtStart.push_back(!s.failed && s.firstVideoNs != 0);
    }
    windowTimer.start(windowMs, 0, [&] { loop.stop(); });
  });
  // Safety net: whatever happens, the run ends.
  core::Timer deadline(loop);
  deadline.start(windowStartMs + windowMs + 10000, 0, [&] { loop.stop(); });

  loop.run();

  // ---- measure ---------------------------------------------------------------------------
  uint64_t endNs = nowNs();
  ProcSample serverEnd = sampleProcs(options.serverPids);
  double selfEnd = selfCpuS();
  auto cpusEnd = cpuTimes();
  // How busy each CPU was in the window (all processes): on a shared machine, other jobs on
  // the server's core make its CPU time per unit of work noisier.
  std::vector<double> cpuBusy;
  for (size_t i = 0; i < cpusEnd.size() && i < cpusStart.size(); ++i) {
    uint64_t total = cpusEnd[i].second - cpusStart[i].second;
    cpuBusy.push_back(total > 0 ? static_cast<double>(cpusEnd[i].first - cpusStart[i].first) /
                                      static_cast<double>(total)
                                : NAN);
  }
  std::string cpuBusyText;
  std::string cpuBusyJson = "[";
  for (size_t i = 0; i < cpuBusy.size(); ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%scpu%zu %.0f %%", i ? ", " : "", i, cpuBusy[i] * 100);
    cpuBusyText += buf;
    cpuBusyJson += (i ? "," : "") + jsonNumber(cpuBusy[i]);
  }
  cpuBusyJson += "]";
  bool windowRan = windowStartNs != 0;
  double windowS = windowRan ? static_cast<double>(endNs - windowStartNs) / 1e9 : 0;

  int ok = 0;
  int failed = 0;
  std::map<std::string, int> reasons;
  std::vector<double> joinMs;
  std::vector<double> keyJoinMs;
  std::vector<double> fps;
  std::vector<double> maxGapMs;
  uint64_t wire = 0;
  uint64_t media = 0;
  uint64_t stalls = 0;
  double stalledS = 0;
  int playersWithStalls = 0;
  const uint64_t stallNs = playerOptions.stallNs;
  for (size_t i = 0; i < players.size(); ++i) {
    const auto& s = players[i]->stats();
    if (s.firstVideoNs != 0)
      joinMs.push_back(static_cast<double>(s.firstVideoNs - s.startNs) / 1e6);
    if (s.firstKeyNs != 0) keyJoinMs.push_back(static_cast<double>(s.firstKeyNs - s.startNs) / 1e6);
    uint64_t playerStalls = s.stalls;
    double playerStalledS = static_cast<double>(s.stalledNs) / 1e9;
    uint64_t gap = s.firstVideoNs != 0 ? s.maxGapNs : 0;
    // A gap still open at the end counts too (a player starved until the end).
    if (s.firstVideoNs != 0 && !s.failed && endNs - s.lastMediaNs > stallNs) {
      ++playerStalls;
      playerStalledS += static_cast<double>(endNs - s.lastMediaNs) / 1e9;
      gap = std::max(gap, endNs - s.lastMediaNs);
    }
    if (s.firstVideoNs != 0) maxGapMs.push_back(static_cast<double>(gap) / 1e6);
    stalls += playerStalls;
    stalledS += playerStalledS;
    if (playerStalls > 0) ++playersWithStalls;
    bool good = windowRan && i < okAtStart.size() && okAtStart[i] && !s.failed;
    if (good) {
      ++ok;
    } else {
      ++failed;
      std::string why = s.failed                ? s.error
                        : !windowRan            ? "run aborted before the window"
                        : i >= okAtStart.size() ? "not opened before the window"
                                                : "no video by the window's start";
      reasons[why]++;
    }
    if (windowRan && i < atStart.size()) {
      wire += s.wireBytes - atStart[i].wireBytes;
      media += s.mediaBytes - atStart[i].mediaBytes;
      if (good)
        fps.push_back(static_cast<double>(s.videoFrames - atStart[i].videoFrames) / windowS);
    }
  }
  for (auto& p : players) p->stop();

  double bytesPerS = windowS > 0 ? static_cast<double>(wire) / windowS : 0;
  double mediaPerS = windowS > 0 ? static_cast<double>(media) / windowS : 0;
  double kbitPerConn = ok > 0 ? bytesPerS * 8 / 1000 / ok : 0;
  double serverCpuS =
      (serverStart.cpuS >= 0 && serverEnd.cpuS >= 0) ? serverEnd.cpuS - serverStart.cpuS : NAN;
  double playerSeconds = static_cast<double>(n) * windowS;
  double cpuPerPlayerS = playerSeconds > 0 ? serverCpuS / playerSeconds : NAN;
  double selfCpu = windowS > 0 ? (selfEnd - selfStart) / windowS : NAN;
  const char* mode = options.mode == Mode::kRtmp ? "rtmp-play" : "flv-play";

  // ---- text ------------------------------------------------------------------------------
  FILE* text = options.json ? stderr : stdout;
  std::fprintf(text,
               "tidecast-load %s %s: %d connections, ramp %.0f/s, settle %.1f s, window %.2f s\n",
               mode, options.url.c_str(), n, options.ramp, options.settleS, windowS);
  std::fprintf(text, "  connections ok %d, failed %d\n", ok, failed);
  for (const auto& [why, count] : reasons) std::fprintf(text, "    %5d × %s\n", count, why.c_str());
  std::fprintf(
      text, "  join (connect → first video frame) ms: p50 %.1f  p99 %.1f  max %.1f  (n=%zu)\n",
      percentile(joinMs, 50), percentile(joinMs, 99), percentile(joinMs, 100), joinMs.size());
  std::fprintf(text,
               "  join (connect → first key frame)   ms: p50 %.1f  p99 %.1f  max %.1f  (n=%zu)\n",
               percentile(keyJoinMs, 50), percentile(keyJoinMs, 99), percentile(keyJoinMs, 100),
               keyJoinMs.size());
  std::fprintf(text, "  received %.1f MB/s (media %.1f MB/s), %.0f kbit/s per connection\n",
               bytesPerS / 1e6, mediaPerS / 1e6, kbitPerConn);
  std::fprintf(text, "  video fps per connection: median %.2f, min %.2f\n", percentile(fps, 50),
               percentile(fps, 0));
  std::fprintf(text,
               "  stalls (gap > %.0f ms after first frame): %" PRIu64
               " in %d connections, %.2f s stalled in total; max gap p50 %.0f ms, max %.0f ms\n",
               options.stallMs, stalls, playersWithStalls, stalledS, percentile(maxGapMs, 50),
               percentile(maxGapMs, 100));
  if (!options.serverPids.empty()) {
    std::fprintf(
        text, "  server: CPU %.2f s in the window = %.3f ms per player-second; RSS %ld → %ld kB\n",
        serverCpuS, cpuPerPlayerS * 1e3, serverStart.rssKb, serverEnd.rssKb);
  }
  std::fprintf(text, "  load generator CPU: %.0f %% of one core in the window; machine: %s busy\n",
               selfCpu * 100, cpuBusyText.c_str());

  // ---- json ------------------------------------------------------------------------------
  if (options.json) {
    std::string reasonsJson = "{";
    for (const auto& [why, count] : reasons) {
      if (reasonsJson.size() > 1) reasonsJson += ",";
      reasonsJson += jsonString(why) + ":" + std::to_string(count);
    }
    reasonsJson += "}";
    std::printf(
        "{\"mode\":\"%s\",\"url\":%s,\"connections\":%d,\"ramp_per_s\":%s,\"settle_s\":%s,"
        "\"window_s\":%s,\"ok\":%d,\"failed\":%d,\"failure_reasons\":%s,"
        "\"join_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s,\"count\":%zu},"
        "\"key_join_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s,\"count\":%zu},"
        "\"bytes_per_s\":%s,\"media_bytes_per_s\":%s,\"kbit_per_s_per_connection\":%s,"
        "\"video_fps\":{\"median\":%s,\"min\":%s},"
        "\"stalls\":{\"count\":%" PRIu64
        ",\"connections\":%d,\"seconds\":%s,\"max_gap_ms\":%s,"
        "\"max_gap_ms_p50\":%s,\"threshold_ms\":%s},"
        "\"server\":{\"pids\":%zu,\"cpu_s\":%s,\"cpu_ms_per_player_s\":%s,\"rss_kb_start\":%ld,"
        "\"rss_kb_end\":%ld},\"load_cpu_fraction\":%s,\"cpu_busy_fraction\":%s}\n",
        mode, jsonString(options.url).c_str(), n, jsonNumber(options.ramp).c_str(),
        jsonNumber(options.settleS).c_str(), jsonNumber(windowS).c_str(), ok, failed,
        reasonsJson.c_str(), jsonNumber(percentile(joinMs, 50)).c_str(),
        jsonNumber(percentile(joinMs, 99)).c_str(), jsonNumber(percentile(joinMs, 100)).c_str(),
        joinMs.size(), jsonNumber(percentile(keyJoinMs, 50)).c_str(),
        jsonNumber(percentile(keyJoinMs, 99)).c_str(),
        jsonNumber(percentile(keyJoinMs, 100)).c_str(), keyJoinMs.size(),
        jsonNumber(bytesPerS).c_str(), jsonNumber(mediaPerS).c_str(),
        jsonNumber(kbitPerConn).c_str(), jsonNumber(percentile(fps, 50)).c_str(),
        jsonNumber(percentile(fps, 0)).c_str(), stalls, playersWithStalls,
        jsonNumber(stalledS).c_str(), jsonNumber(percentile(maxGapMs, 100)).c_str(),
        jsonNumber(percentile(maxGapMs, 50)).c_str(), jsonNumber(options.stallMs).c_str(),
        options.serverPids.size(), jsonNumber(serverCpuS).c_str(),
        jsonNumber(cpuPerPlayerS * 1e3).c_str(), serverStart.rssKb, serverEnd.rssKb,
        jsonNumber(selfCpu).c_str(), cpuBusyJson.c_str());
  }
  players.clear();
  return ok == n ? 0 : 1;
}

}  // namespace
}  // namespace tidecast::bench

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]).starts_with("ws-")) {
    return tidecast::bench::runWebSocketLoad(argc, argv);  // bench/load/ws_load.cpp
  }
  return tidecast::bench::run(tidecast::bench::parseArgs(argc, argv));
}
