#include "bench/latency/hls_fetch.h"

#include "bench/latency/url.h"

namespace tidecast::bench::latency {
namespace {

bool getPlaylist(ReadSession& session, const std::string& url, HlsPlaylist& out, std::string& why) {
  TimedBody body;
  HttpResult result = session.http().get(url, body);
  if (!result.ok()) {
    why = result.describe();
    return false;
  }
  session.count("playlists");
  out = parseHlsPlaylist(body.text());
  if (!out.valid) {
    why = "not an M3U8 playlist";
    return false;
  }
  return true;
}

}  // namespace

bool fetchMediaPlaylist(ReadSession& session, std::string& url, HlsPlaylist& out,
                        std::string& why) {
  if (!getPlaylist(session, url, out, why)) {
    why = url + ": " + why;
    return false;
  }
  if (out.variants.empty()) return true;
  std::string media = resolveUrl(url, out.variants.front());
  if (!getPlaylist(session, media, out, why)) {
    why = media + ": " + why;
    return false;
  }
  session.note("multivariant playlist: reading its first variant " + media);
  url = media;
  return true;
}

bool reloadPlaylist(ReadSession& session, const std::string& requestUrl, HlsPlaylist& out) {
  HlsPlaylist playlist;
  std::string why;
  if (!getPlaylist(session, requestUrl, playlist, why)) {
    if (session.running()) {  // not the transfer cut at the window's end
      session.count("playlist_errors");
      session.note("playlist reload failed: " + why);
    }
    return false;
  }
  out = std::move(playlist);
  return true;
}

}  // namespace tidecast::bench::latency
