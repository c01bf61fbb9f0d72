// Carrying a signed playback query (api/auth/signed_url.h) onto the relative URIs of rendered
// LL-HLS playlists and DASH MPDs: a player resolves "video/12.m4s" against the playlist URL
// without its query, so a signed playlist must hand the signature on. The renderers stay
// unaware; these rewrite their output for signed requests only. Pure functions.
#pragma once

#include <string>
#include <string_view>

namespace tidecast::delivery::cmaf {

// Appends `query` ("expires=…&signature=…") to every URI line and every URI="…" attribute.
std::string addQueryToPlaylistUris(std::string_view playlist, std::string_view query);

// Appends `query` (XML-escaped) to the media="…" and initialization="…" templates of an MPD.
std::string addQueryToMpdUris(std::string_view mpd, std::string_view query);

}  // namespace tidecast::delivery::cmaf
