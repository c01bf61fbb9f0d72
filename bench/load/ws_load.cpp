// tidecast-load ws-echo | ws-idle: WebSocket load.
//
//   tidecast-load ws-echo --url ws://127.0.0.1:8080/ws/echo -n 100 --duration 10 [--size 64]
//   tidecast-load ws-echo --url ws://127.0.0.1:8080/ws -n 100 --duration 10   (JSON envelope)
//   tidecast-load ws-idle --url ws://127.0.0.1:8080/ws -n 5000 --server-pid PID
//
// ws-echo: N connections, each sending one message and waiting for its echo before sending
// the next; reports round trips per second in the window and the round-trip latency. On a
// path ending in /ws/echo the message is --size bytes of text; otherwise it is a JSON
// envelope {"type":"echo","data":"…"} whose answer the server's dispatcher builds.
// ws-idle: the server's RSS (VmRSS of --server-pid) before any connection, and once N idle
// connections are open and --settle seconds passed: the growth per connection.
// Both answer the server's pings. Options as for the other modes: -n, --duration, --ramp,
// --settle, --server-pid, --json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/load/player.h"

namespace tidecast::bench {

namespace {

struct WsOptions {
  bool echo = true;
  std::string url;
  Target target;
  int connections = 0;
  double durationS = 5;
  double ramp = 500;
  double settleS = 2;
  size_t size = 64;
  int serverPid = 0;
  bool json = false;
};

[[noreturn]] void wsUsage(const char* why) {
  std::fprintf(stderr,
               "tidecast-load: %s\n"
               "usage: tidecast-load ws-echo|ws-idle --url ws://IP:PORT/PATH -n N [--duration S]\n"
               "       [--size BYTES] [--ramp R] [--settle S] [--server-pid PID] [--json]\n",
               why);
  std::exit(2);
}

double wsNumber(const char* text, const char* name, double lo, double hi) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= lo && v <= hi)) {
    wsUsage((std::string(name) + ": out of range or not a number").c_str());
  }
  return v;
}

WsOptions parseWsArgs(int argc, char** argv) {
  WsOptions o;
  o.echo = std::string(argv[1]) == "ws-echo";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) wsUsage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--url") {
      o.url = value();
    } else if (a == "-n") {
      o.connections = static_cast<int>(wsNumber(value(), "-n", 1, 50000));
    } else if (a == "--duration") {
      o.durationS = wsNumber(value(), "--duration", 1, 600);
    } else if (a == "--ramp") {
      o.ramp = wsNumber(value(), "--ramp", 1, 100000);
    } else if (a == "--settle") {
      o.settleS = wsNumber(value(), "--settle", 0, 60);
    } else if (a == "--size") {
      o.size = static_cast<size_t>(wsNumber(value(), "--size", 1, 1 << 20));
    } else if (a == "--server-pid") {
      o.serverPid = static_cast<int>(wsNumber(value(), "--server-pid", 1, 1 << 30));
    } else if (a == "--json") {
      o.json = true;
    } else {
      wsUsage(("unknown option " + a).c_str());
    }
  }
  if (o.url.rfind("ws://", 0) != 0 || o.connections == 0) wsUsage("--url ws://… and -n needed");
  std::string rest = o.url.substr(5);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  o.target.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  o.target.host = authority.substr(0, colon);
  o.target.port =
      colon == std::string::npos
          ? 80
          : static_cast<uint16_t>(wsNumber(authority.substr(colon + 1).c_str(), "port", 1, 65535));
  return o;
}

long rssKb(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// A masked client frame (the key is fixed: the server unmasks all the same).
std::string clientFrame(uint8_t opcode, std::string_view payload) {
  static constexpr uint8_t kKey[4] = {0x5a, 0x3c, 0x96, 0x0f};
  std::string out;
  out.push_back(static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xFF));
  }
  out.append(reinterpret_cast<const char*>(kKey), 4);
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<char>(payload[i] ^ kKey[i & 3]));
  return out;
}

class WsClient {
 public:
  WsClient(core::Loop& loop, const WsOptions& options, const core::Slice& message,
           size_t expectedReply)
      : loop_(loop),
        options_(options),
        message_(message),
        expectedReply_(expectedReply),
        stream_(std::make_unique<core::TcpStream>(loop)) {}

  void start() {
    connectTcp(*stream_, options_.target, [this](int status) {
      if (status != 0) return fail(uv_err_name(status));
      stream_->setNoDelay(true);
      stream_->startRead([this](std::string_view bytes) { onData(bytes); },
                         [this](int) { fail("closed by the server"); });
      stream_->write(core::Slice::fromString(
          "GET " + options_.target.path + " HTTP/1.1\r\nHost: " + options_.target.host +
          "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
    });
  }
  void stop() { stream_.reset(); }

  bool open() const { return open_ && !failed_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  uint64_t roundTrips() const { return roundTrips_; }
  std::vector<double>& latenciesUs() { return latenciesUs_; }
  bool recording = false;

 private:
  void fail(std::string why) {
    if (failed_) return;
    failed_ = true;
    error_ = std::move(why);
    if (stream_) stream_->stopRead();
  }

  void onData(std::string_view bytes) {
    buffer_.append(bytes);
    if (!open_) {
      size_t end = buffer_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      if (buffer_.rfind("HTTP/1.1 101", 0) != 0) return fail(buffer_.substr(0, buffer_.find('\r')));
      buffer_.erase(0, end + 4);
      open_ = true;
      if (options_.echo) sendMessage();
    }
    while (parseFrame()) {
    }
  }

  // Takes one server frame off the buffer; false when incomplete.
  bool parseFrame() {
    if (buffer_.size() < 2) return false;
    const auto b = [&](size_t i) { return static_cast<uint8_t>(buffer_[i]); };
    uint64_t n = b(1) & 0x7F;
    size_t pos = 2;
    if (n == 126) {
      if (buffer_.size() < 4) return false;
      n = (uint64_t{b(2)} << 8) | b(3);
      pos = 4;
    } else if (n == 127) {
      if (buffer_.size() < 10) return false;
      n = 0;
      for (size_t i = 0; i < 8; ++i) n = (n << 8) | b(2 + i);
      pos = 10;
    }
    if (buffer_.size() < pos + n) return false;
    const uint8_t opcode = b(0) & 0x0F;
    std::string_view payload(buffer_.data() + pos, n);
    if (opcode == 0x9) {
      stream_->write(core::Slice::fromString(clientFrame(0xA, payload)));
    } else if (opcode == 0x8) {
      fail("closed by the server (close frame)");
    } else if (options_.echo) {
      if (payload.size() != expectedReply_) fail("unexpected reply size");
      if (recording) {
        ++roundTrips_;
        latenciesUs_.push_back(static_cast<double>(nowNs() - sentNs_) / 1e3);
      }
    }
    buffer_.erase(0, pos + n);
    if (failed_) return false;
    if (options_.echo && (opcode == 0x1 || opcode == 0x2)) sendMessage();
    return true;
  }

  void sendMessage() {
    sentNs_ = nowNs();
    stream_->write(message_);
  }

  core::Loop& loop_;
  const WsOptions& options_;
  core::Slice message_;
  size_t expectedReply_;
  std::unique_ptr<core::TcpStream> stream_;
  std::string buffer_;
  bool open_ = false;
  bool failed_ = false;
  std::string error_;
  uint64_t sentNs_ = 0;
  uint64_t roundTrips_ = 0;
  std::vector<double> latenciesUs_;
};

double wsPercentile(std::vector<double> v, double p) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

int runWebSocketLoad(int argc, char** argv) {
  const WsOptions options = parseWsArgs(argc, argv);
  const bool raw = options.target.path.ends_with("/echo");
  std::string text(options.size, 'x');
  std::string message = raw ? text : R"({"type":"echo","data":")" + text + "\"}";
  const core::Slice frame = core::Slice::fromString(clientFrame(0x1, message));
  // The reply: the same text, or the dispatcher's {"data":"…","type":"echo"}.
  const size_t expected =
      raw ? text.size() : std::string(R"({"data":"","type":"echo"})").size() + text.size();

  core::Loop loop;
  const long rssBefore = options.serverPid ? rssKb(options.serverPid) : -1;
  std::vector<std::unique_ptr<WsClient>> clients;
  clients.reserve(static_cast<size_t>(options.connections));
  const uint64_t t0 = nowNs();
  core::Timer rampTimer(loop);
  rampTimer.start(0, 5, [&] {
    double elapsedS = static_cast<double>(nowNs() - t0) / 1e9;
    auto due =
        static_cast<size_t>(std::min<double>(options.connections, elapsedS * options.ramp + 1));
    while (clients.size() < due) {
      clients.push_back(std::make_unique<WsClient>(loop, options, frame, expected));
      clients.back()->start();
    }
    if (clients.size() == static_cast<size_t>(options.connections)) rampTimer.stop();
  });
  const uint64_t rampMs =
      static_cast<uint64_t>(std::ceil(options.connections * 1000.0 / options.ramp));
  const uint64_t windowStartMs = rampMs + static_cast<uint64_t>(options.settleS * 1000);
  const uint64_t windowMs = options.echo ? static_cast<uint64_t>(options.durationS * 1000) : 0;
  uint64_t windowStartNs = 0;
  long rssOpen = -1;
  core::Timer windowTimer(loop);
  windowTimer.start(windowStartMs, 0, [&] {
    windowStartNs = nowNs();
    rssOpen = options.serverPid ? rssKb(options.serverPid) : -1;
    for (auto& c : clients) c->recording = true;
    windowTimer.start(windowMs, 0, [&] { loop.stop(); });
  });
  loop.run();
  const double windowS = static_cast<double>(nowNs() - windowStartNs) / 1e9;
  const long rssEnd = options.serverPid ? rssKb(options.serverPid) : -1;

  int open = 0;
  uint64_t roundTrips = 0;
  std::vector<double> latencies;
  std::map<std::string, int> failures;
  for (auto& c : clients) {
    if (c->open()) ++open;
    if (c->failed()) failures[c->error()]++;
    roundTrips += c->roundTrips();
    latencies.insert(latencies.end(), c->latenciesUs().begin(), c->latenciesUs().end());
  }
  for (auto& c : clients) c->stop();
  const double perS = windowS > 0 ? static_cast<double>(roundTrips) / windowS : 0;
  const double bytesPerConnection = (rssBefore >= 0 && rssOpen >= 0 && open > 0)
                                        ? static_cast<double>(rssOpen - rssBefore) * 1024.0 / open
                                        : NAN;

  FILE* out = options.json ? stderr : stdout;
  std::fprintf(out, "tidecast-load %s %s: %d connections, %d open, %d failed\n", argv[1],
               options.url.c_str(), options.connections, open, options.connections - open);
  for (const auto& [why, count] : failures) std::fprintf(out, "    %5d × %s\n", count, why.c_str());
  if (options.echo) {
    std::fprintf(out,
                 "  %s message of %zu bytes: %.0f round trips/s in %.2f s (%.1f per connection); "
                 "latency us p50 %.0f p99 %.0f max %.0f\n",
                 raw ? "raw" : "envelope", options.size, perS, windowS, perS / std::max(open, 1),
                 wsPercentile(latencies, 50), wsPercentile(latencies, 99),
                 wsPercentile(latencies, 100));
  }
  if (options.serverPid) {
    std::fprintf(out,
                 "  server RSS: %ld kB before, %ld kB with the connections open, %ld kB at the "
                 "end; %.0f bytes per open connection\n",
                 rssBefore, rssOpen, rssEnd, bytesPerConnection);
  }
  if (options.json) {
    std::printf(
        "{\"mode\":\"%s\",\"connections\":%d,\"open\":%d,\"window_s\":%.3f,\"round_trips\":%llu,"
        "\"round_trips_per_s\":%.1f,\"latency_us_p50\":%.0f,\"latency_us_p99\":%.0f,"
        "\"rss_kb_before\":%ld,\"rss_kb_open\":%ld,\"bytes_per_connection\":%.0f}\n",
        argv[1], options.connections, open, windowS, static_cast<unsigned long long>(roundTrips),
        perS, wsPercentile(latencies, 50), wsPercentile(latencies, 99), rssBefore, rssOpen,
        bytesPerConnection);
  }
  return open == options.connections ? 0 : 1;
}

}  // namespace tidecast::bench
