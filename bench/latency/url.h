// The URL arithmetic playlists and manifests need: relative references and query strings.
#pragma once

#include <string>

namespace tidecast::bench::latency {

// `reference` resolved against the absolute URL `base`: an absolute URL stays as it is, "/x"
// replaces the path, "//host/x" the authority, anything else replaces the last path segment.
// Dot segments are left to libcurl, which removes them.
std::string resolveUrl(const std::string& base, const std::string& reference);

// `url` with `query` ("a=1&b=2") appended after '?' or '&'.
std::string withQuery(const std::string& url, const std::string& query);

}  // namespace tidecast::bench::latency
