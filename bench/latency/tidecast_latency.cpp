// tidecast-latency: ingest-to-viewer latency of a live stream, publisher and viewers in one
// process on one clock.
//
//   tidecast-latency --rtmp rtmp://127.0.0.1:1935/live/lat
//       --read ll-hls http://127.0.0.1:8080/live/lat/video.m3u8
//       --read dash http://127.0.0.1:8080/live/lat/index.mpd --seconds 20 --json
//
// The publisher (--rtmp) encodes a synthetic 640x360 30 fps picture with libx264 (veryfast,
// zerolatency, IDR every second, ~1 Mbit/s) and, unless --no-audio, an AAC tone, and publishes
// FLV over RTMP in real time. Every video access unit carries an SEI stamp: the wall clock
// (µs) read just before the packet is handed to the muxer (sei_stamp.h).
//
// Each --read runs a viewer on its own thread, from the moment the publisher is live:
//   ll-hls URL  LL-HLS media playlist: blocking reloads, parts (and preload hints), fMP4
//   hls URL     classic HLS (MPEG-TS or fMP4 segments): playlist polled every --poll-ms
//   dash URL    DASH MPD: SegmentTimeline polled, or $Number$ followed from the clock with the
//               segment in progress read while it is sent (chunked transfer)
// A sample is (time the bytes holding a stamp arrived in libcurl's write callback) − stamp.
// The window opens when the stream first comes through; samples of its first --warmup seconds
// are dropped and it lasts --seconds more. Without --read, only publishes for that long.
//
// Options:
//   --rtmp URL            publish here (any URL libavformat writes FLV to; a file for tests;
//                         an srt:// URL gets MPEG-TS instead)
//   --read MODE URL       a viewer (repeatable)
//   --seconds S           measurement window, 1..600 (default 20)
//   --warmup S            dropped at the window's start, 0..120 (default 2)
//   --start-timeout S     the stream must appear within this, 1..600 (default 20)
//   --poll-ms MS          polling interval of hls, dash SegmentTimeline, 10..5000 (default 100)
//   --bitrate KBPS        video bit rate (default 1000)
//   --no-audio            video only
//   --no-preload-hint     ll-hls: do not GET EXT-X-PRELOAD-HINT parts ahead
//   --json                one JSON line per viewer on stdout; the text lines go to stderr
//
// Exit status 0 when every viewer got samples and none failed, 1 otherwise, 2 on bad usage.
#include <curl/curl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/latency/publisher.h"
#include "bench/latency/read_session.h"

namespace tidecast::bench::latency {
namespace {

struct Options {
  std::string rtmp;
  std::vector<std::pair<std::string, std::string>> reads;  // (mode, url)
  double seconds = 20;
  double warmupS = 2;
  double startTimeoutS = 20;
  int pollMs = 100;
  int64_t bitRate = 1'000'000;
  bool audio = true;
  bool preloadHint = true;
  bool json = false;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(
      stderr,
      "tidecast-latency: %s\n"
      "usage: tidecast-latency [--rtmp URL] [--read ll-hls|hls|dash URL]... [--seconds S]\n"
      "       [--warmup S] [--start-timeout S] [--poll-ms MS] [--bitrate KBPS]\n"
      "       [--no-audio] [--no-preload-hint] [--json]\n",
      why.c_str());
  std::exit(2);
}

double number(const char* text, const std::string& name, double lo, double hi) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != '\0' || !(v >= lo && v <= hi)) {
    usage(name + ": expected a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

Options parseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "--rtmp") {
      o.rtmp = value();
    } else if (a == "--read") {
      std::string mode = value();
      if (mode != "ll-hls" && mode != "hls" && mode != "dash")
        usage("--read: unknown mode " + mode);
      o.reads.emplace_back(mode, value());
    } else if (a == "--seconds") {
      o.seconds = number(value(), a, 1, 600);
    } else if (a == "--warmup") {
      o.warmupS = number(value(), a, 0, 120);
    } else if (a == "--start-timeout") {
      o.startTimeoutS = number(value(), a, 1, 600);
    } else if (a == "--poll-ms") {
      o.pollMs = static_cast<int>(number(value(), a, 10, 5000));
    } else if (a == "--bitrate") {
      o.bitRate = static_cast<int64_t>(number(value(), a, 100, 50000) * 1000);
    } else if (a == "--no-audio") {
      o.audio = false;
    } else if (a == "--no-preload-hint") {
      o.preloadHint = false;
    } else if (a == "--json") {
      o.json = true;
    } else {
      usage("unknown option " + a);
    }
  }
  if (o.rtmp.empty() && o.reads.empty()) usage("nothing to do: give --rtmp and/or --read");
  return o;
}

void runReader(ReadSession& session) {
  const std::string& mode = session.options().mode;
  if (mode == "ll-hls") {
    readLlHls(session);
  } else if (mode == "hls") {
    readHls(session);
  } else {
    readDash(session);
  }
}

nlohmann::json publisherJson(const std::string& url, const PublisherStats& s) {
  nlohmann::json j = {{"url", url},
                      {"video_frames", s.videoFrames},
                      {"audio_frames", s.audioFrames},
                      {"late_frames", s.lateFrames},
                      {"max_write_ms", std::round(s.maxWriteMs * 1000) / 1000}};
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

std::string publisherLine(const std::string& url, const PublisherStats& s) {
  char text[256];
  std::snprintf(text, sizeof(text),
                "%llu video frames, %llu audio frames, %llu encoded late, longest write %.1f ms",
                static_cast<unsigned long long>(s.videoFrames),
                static_cast<unsigned long long>(s.audioFrames),
                static_cast<unsigned long long>(s.lateFrames), s.maxWriteMs);
  return "publisher " + url + ": " + text + (s.error.empty() ? "" : "; FAILED: " + s.error);
}

std::vector<std::unique_ptr<ReadSession>> runReaders(const Options& o) {
  std::vector<std::unique_ptr<ReadSession>> sessions;
  sessions.reserve(o.reads.size());
  for (const auto& [mode, url] : o.reads) {
    ReadOptions r{mode, url, o.warmupS, o.seconds, o.startTimeoutS, o.pollMs, o.preloadHint};
    sessions.push_back(std::make_unique<ReadSession>(r));
  }
  std::vector<std::thread> threads;
  threads.reserve(sessions.size());
  for (auto& session : sessions) threads.emplace_back(runReader, std::ref(*session));
  for (auto& thread : threads) thread.join();
  return sessions;
}

int run(const Options& o) {
  std::unique_ptr<Publisher> publisher;
  if (!o.rtmp.empty()) {
    VideoSettings video;
    video.bitRate = o.bitRate;
    publisher = std::make_unique<Publisher>(PublisherOptions{o.rtmp, o.audio, video});
    std::string error;
    if (!publisher->start(error)) {
      std::fprintf(stderr, "tidecast-latency: %s\n", error.c_str());
      return 1;
    }
  }
  if (o.reads.empty()) {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.warmupS + o.seconds));
  }
  auto sessions = runReaders(o);
  std::FILE* text = o.json ? stderr : stdout;
  nlohmann::json published;
  if (publisher) {
    publisher->stop();
    PublisherStats stats = publisher->stats();
    published = publisherJson(o.rtmp, stats);
    std::fprintf(text, "%s\n", publisherLine(o.rtmp, stats).c_str());
  }
  bool ok = true;
  for (const auto& session : sessions) {
    nlohmann::json report = session->report();
    ok = ok && !session->failed() && report["samples"].get<size_t>() > 0;
    if (publisher) report["publisher"] = published;
    std::fprintf(text, "%s\n", session->summaryLine().c_str());
    if (o.json) std::printf("%s\n", report.dump().c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace tidecast::bench::latency

int main(int argc, char** argv) {
  auto options = tidecast::bench::latency::parseArgs(argc, argv);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  av_log_set_level(AV_LOG_ERROR);
  int rc = 1;
  try {
    rc = tidecast::bench::latency::run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tidecast-latency: %s\n", e.what());
  }
  curl_global_cleanup();
  return rc;
}
