// DASH: the MPD's first video Representation, read at the live edge.
//
// SegmentTimeline (nginx-rtmp): poll the MPD and GET each segment once it is listed (complete).
// $Number$ with a duration (tidecast's LL-DASH): compute the newest available segment from the
// clock (availabilityStartTime, Period start, duration, availabilityTimeOffset), GET it, then
// every next number as soon as the previous response ends. A segment still in production is
// sent with chunked transfer as it grows; its stamps are found in the bytes as they arrive, so
// each frame's latency is that of its own chunk, not of the whole segment.
#include <algorithm>
#include <cmath>

#include "bench/latency/mpd.h"
#include "bench/latency/read_session.h"
#include "bench/latency/wall_clock.h"

namespace tidecast::bench::latency {
namespace {

// A segment number that is not there yet (404, 425) is asked for again this soon.
constexpr int kNotReadyRetryMs = 20;

class DashReader {
 public:
  explicit DashReader(ReadSession& session) : session_(session), url_(session.options().url) {}

  void run();

 private:
  bool loadMpd(std::string& why);
  void fetchInitialization();
  void followTimeline();
  void followNumbers();
  int64_t liveEdgeNumber() const;
  HttpResult fetchSegment(const MpdSegment& segment);
  void noteFailure(const HttpResult& result);

  ReadSession& session_;
  std::string url_;
  Mpd mpd_;
};

void DashReader::run() {
  if (!session_.awaitStream([&](std::string& why) { return loadMpd(why); })) return;
  fetchInitialization();
  const MpdVideo& video = *mpd_.video;
  if (!video.timeline.empty()) {
    followTimeline();
  } else if (video.duration > 0 && mpd_.availabilityStartMicros) {
    followNumbers();
  } else {
    session_.fail(
        "the video SegmentTemplate has neither a SegmentTimeline nor a duration with "
        "availabilityStartTime");
  }
}

bool DashReader::loadMpd(std::string& why) {
  TimedBody body;
  HttpResult result = session_.http().get(url_, body);
  if (!result.ok()) {
    why = url_ + ": " + result.describe();
    return false;
  }
  session_.count("mpds");
  Mpd mpd;
  if (!parseMpd(body.text(), url_, mpd, why)) return false;
  if (mpd.video->duration == 0 && mpd.video->timeline.empty()) {
    why = "the MPD lists no video segment yet";
    return false;
  }
  mpd_ = std::move(mpd);
  return true;
}

void DashReader::fetchInitialization() {
  std::string url = mpd_.video->initializationUrl();
  if (url.empty()) return;
  TimedBody body;
  HttpResult result = session_.http().get(url, body);
  if (result.ok()) {
    session_.count("initialization");
  } else {
    session_.note("initialization segment " + url + ": " + result.describe());
  }
}

void DashReader::followTimeline() {
  uint64_t last = mpd_.video->timeline.back().time;  // start at the live edge: the next one
  while (session_.running()) {
    session_.sleepMs(session_.options().pollMs);
    std::string why;
    if (!loadMpd(why)) {
      if (session_.running()) {
        session_.count("mpd_errors");
        session_.note("MPD reload failed: " + why);
      }
      continue;
    }
    for (const MpdSegment& segment : mpd_.video->timeline) {
      if (segment.time <= last) continue;
      last = segment.time;
      if (HttpResult result = fetchSegment(segment); !result.ok()) noteFailure(result);
    }
  }
}

// The newest segment whose availability time (its end minus availabilityTimeOffset, which is
// at most one segment) has passed.
int64_t DashReader::liveEdgeNumber() const {
  const MpdVideo& v = *mpd_.video;
  double duration = static_cast<double>(v.duration) / static_cast<double>(v.timescale);
  double elapsed =
      static_cast<double>(wallMicros() - *mpd_.availabilityStartMicros) / 1e6 - mpd_.periodStartS;
  double offset = std::min(v.availabilityTimeOffsetS, duration);
  auto index = static_cast<int64_t>(std::floor((elapsed + offset) / duration)) - 1;
  return v.startNumber + std::max<int64_t>(index, 0);
}

void DashReader::followNumbers() {
  int64_t number = liveEdgeNumber();
  while (session_.running()) {
    HttpResult result = fetchSegment({number, 0, 0});
    if (result.ok()) {
      ++number;
    } else if (!session_.running()) {
      break;
    } else if (result.status == 404 || result.status == 425) {
      session_.count("segment_not_ready");
      if (int64_t edge = liveEdgeNumber(); edge > number) {
        session_.note("behind the live edge: skipped ahead");
        number = edge;
      } else {
        session_.sleepMs(kNotReadyRetryMs);
      }
    } else {
      noteFailure(result);
      session_.sleepMs(session_.options().pollMs);
    }
  }
}

HttpResult DashReader::fetchSegment(const MpdSegment& segment) {
  return session_.fetchStamped(mpd_.video->segmentUrl(segment), "segments");
}

void DashReader::noteFailure(const HttpResult& result) {
  if (!session_.running()) return;  // the transfer cut at the window's end
  session_.count("segment_errors");
  session_.note("segment GET failed: " + result.describe());
}

}  // namespace

void readDash(ReadSession& session) { DashReader(session).run(); }

}  // namespace tidecast::bench::latency
