// Classic HLS (nginx-rtmp's MPEG-TS segments): poll the media playlist, GET every segment that
// appears, in order, and find the stamps in its bytes as they arrive. The latency of a frame
// is then bounded below by the packager's segment duration: a segment is listed only complete.
#include "bench/latency/hls_fetch.h"
#include "bench/latency/url.h"

namespace tidecast::bench::latency {

void readHls(ReadSession& session) {
  std::string url = session.options().url;
  HlsPlaylist playlist;
  bool found = session.awaitStream([&](std::string& why) {
    if (!fetchMediaPlaylist(session, url, playlist, why)) return false;
    if (!playlist.segments.empty()) return true;
    why = "the playlist lists no segment yet";
    return false;
  });
  if (!found) return;
  int64_t last = playlist.segments.back().msn;  // start at the live edge: the next segment
  while (session.running()) {
    session.sleepMs(session.options().pollMs);
    if (!reloadPlaylist(session, url, playlist) || playlist.segments.empty()) continue;
    if (playlist.segments.back().msn < last) {
      session.note("media sequence went back: stream restarted");
      last = playlist.segments.back().msn;
    }
    for (const HlsSegment& segment : playlist.segments) {
      if (segment.msn <= last) continue;
      last = segment.msn;
      HttpResult result = session.fetchStamped(resolveUrl(url, segment.uri), "segments");
      if (!result.ok() && session.running()) {
        session.count("segment_errors");
        session.note("segment GET failed: " + result.describe());
      }
    }
  }
}

}  // namespace tidecast::bench::latency
