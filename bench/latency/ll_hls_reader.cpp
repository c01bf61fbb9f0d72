// LL-HLS (tidecast): blocking playlist reloads (_HLS_msn/_HLS_part) for the part after the last
// one seen, a GET for every new part, and, like LL-HLS players do, a GET of the part named by
// EXT-X-PRELOAD-HINT before it is listed (the server holds that request until the part is
// ready, or streams it while it is produced). Parts are fMP4; their stamps are found by
// walking boxes and NAL units (fmp4_stamps.h), each with the arrival time of its own bytes.
#include <algorithm>
#include <unordered_set>

#include "bench/latency/fmp4_stamps.h"
#include "bench/latency/hls_fetch.h"
#include "bench/latency/url.h"

namespace tidecast::bench::latency {
namespace {

constexpr int kMinPollMs = 20;  // without blocking reload: poll at half the part target
// A hinted part may never come (its segment ended first); hints are given up only after this
// many failures in a row.
constexpr int kMaxHintFailures = 3;

class LlHlsReader {
 public:
  explicit LlHlsReader(ReadSession& session)
      : session_(session), url_(session.options().url), hints_(session.options().preloadHint) {}

  void run();

 private:
  bool reload();
  void fetchNewParts();
  void fetchHint();
  HttpResult fetchPart(const std::string& uri, const std::string& counter);

  ReadSession& session_;
  std::string url_;
  HlsPlaylist playlist_;
  HlsPart last_;  // the newest part listed so far
  std::unordered_set<std::string> fetched_;
  bool hints_;
  int hintFailures_ = 0;  // in a row
};

void LlHlsReader::run() {
  bool found = session_.awaitStream([&](std::string& why) {
    if (!fetchMediaPlaylist(session_, url_, playlist_, why)) return false;
    if (!playlist_.parts.empty()) return true;
    why = "the playlist lists no EXT-X-PART (not low-latency, or no part yet)";
    return false;
  });
  if (!found) return;
  if (!playlist_.canBlockReload) session_.note("no CAN-BLOCK-RELOAD=YES: polling the playlist");
  last_ = playlist_.parts.back();  // start at the live edge: the next part
  while (session_.running()) {
    fetchHint();
    if (reload()) {
      fetchNewParts();
    } else {
      session_.sleepMs(session_.options().pollMs);
    }
  }
}

// The part after last_, or the first part of the next segment once last_'s segment is
// complete; without blocking reload, the plain playlist after half a part target.
bool LlHlsReader::reload() {
  std::string request = url_;
  if (playlist_.canBlockReload) {
    int64_t msn = last_.msn;
    int part = last_.index + 1;
    if (last_.msn < playlist_.nextMsn()) {
      msn = last_.msn + 1;
      part = 0;
    }
    request =
        withQuery(url_, "_HLS_msn=" + std::to_string(msn) + "&_HLS_part=" + std::to_string(part));
  } else {
    session_.sleepMs(std::max(kMinPollMs, static_cast<int>(playlist_.partTargetS * 500)));
  }
  return reloadPlaylist(session_, request, playlist_);
}

void LlHlsReader::fetchNewParts() {
  for (const HlsPart& part : playlist_.parts) {
    if (!part.after(last_)) continue;
    last_ = part;
    if (fetched_.insert(part.uri).second) fetchPart(part.uri, "parts");
  }
}

void LlHlsReader::fetchHint() {
  const std::string& uri = playlist_.preloadHintUri;
  if (!hints_ || uri.empty() || fetched_.contains(uri) || !session_.running()) return;
  HttpResult result = fetchPart(uri, "hinted_parts");
  if (result.ok()) {
    fetched_.insert(uri);
    hintFailures_ = 0;
  } else if (session_.running() && ++hintFailures_ >= kMaxHintFailures) {
    hints_ = false;
    session_.note("preload hint GETs failed " + std::to_string(kMaxHintFailures) +
                  " times in a row, last " + result.describe() + ": hints not used any more");
  }
}

HttpResult LlHlsReader::fetchPart(const std::string& uri, const std::string& counter) {
  TimedBody body;
  HttpResult result = session_.http().get(resolveUrl(url_, uri), body);
  session_.count("bytes", body.bytes.size());
  if (!result.ok()) {
    if (session_.running()) {
      session_.count(counter + "_errors");
      session_.note(counter + " GET failed: " + result.describe());
    }
    return result;
  }
  session_.count(counter);
  Fmp4Scan scan = scanFmp4(body.bytes);
  if (!scan.error.empty() && session_.count("fmp4_errors") == 1) {
    session_.note("fMP4 structure broken, first in " + uri + ": " + scan.error);
  }
  if (scan.stamps.empty()) session_.count(counter + "_without_stamp");
  for (const Fmp4Stamp& stamp : scan.stamps) {
    session_.stamp(stamp.micros, body.arrivalOf(stamp.endOffset));
  }
  return result;
}

}  // namespace

void readLlHls(ReadSession& session) { LlHlsReader(session).run(); }

}  // namespace tidecast::bench::latency
