// Playlist requests shared by the HLS readers.
#pragma once

#include <string>

#include "bench/latency/hls_playlist.h"
#include "bench/latency/read_session.h"

namespace tidecast::bench::latency {

// GETs the playlist at `url`. A multivariant playlist is followed to its first variant, and
// `url` becomes that media playlist's URL. False with `why` set without a usable playlist.
bool fetchMediaPlaylist(ReadSession& session, std::string& url, HlsPlaylist& out, std::string& why);

// GETs `requestUrl` (a media playlist, maybe with blocking-reload parameters) into `out`.
// False, counted and noted, on failure; `out` is then unchanged.
bool reloadPlaylist(ReadSession& session, const std::string& requestUrl, HlsPlaylist& out);

}  // namespace tidecast::bench::latency
