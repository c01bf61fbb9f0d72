#include "delivery/cmaf/signed_uris.h"

namespace tidecast::delivery::cmaf {

namespace {

// `uri` + "?query", or "&query" when it already has a query.
void appendUri(std::string& out, std::string_view uri, std::string_view query) {
  out.append(uri);
  out += uri.find('?') == std::string_view::npos ? '?' : '&';
  out.append(query);
}

// Copies `text`, appending `query` inside each `attribute"…"` value.
std::string rewriteAttributes(std::string_view text, std::string_view attribute,
                              std::string_view query) {
  std::string out;
  out.reserve(text.size() + 256);
  size_t at = 0;
  while (true) {
    size_t found = text.find(attribute, at);
    size_t close =
        found == std::string_view::npos ? found : text.find('"', found + attribute.size());
    if (close == std::string_view::npos) break;
    size_t start = found + attribute.size();
    out.append(text.substr(at, start - at));
    appendUri(out, text.substr(start, close - start), query);
    at = close;
  }
  out.append(text.substr(at));
  return out;
}

}  // namespace

std::string addQueryToPlaylistUris(std::string_view playlist, std::string_view query) {
  std::string withTags = rewriteAttributes(playlist, "URI=\"", query);
  std::string out;
  out.reserve(withTags.size() + 1024);
  std::string_view rest = withTags;
  while (!rest.empty()) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
    if (!line.empty() && line.front() != '#') {
      appendUri(out, line, query);
    } else {
      out.append(line);
    }
    if (newline != std::string_view::npos) out += '\n';
  }
  return out;
}

std::string addQueryToMpdUris(std::string_view mpd, std::string_view query) {
  std::string escaped;
  for (char c : query) {
    if (c == '&') {
      escaped += "&amp;";
    } else {
      escaped += c;
    }
  }
  std::string out = rewriteAttributes(mpd, " media=\"", escaped);
  return rewriteAttributes(out, " initialization=\"", escaped);
}

}  // namespace tidecast::delivery::cmaf
