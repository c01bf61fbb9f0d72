#include "bench/latency/hls_playlist.h"

#include <cstdlib>

namespace tidecast::bench::latency {
namespace {

bool take(std::string_view& line, std::string_view tag) {
  if (line.substr(0, tag.size()) != tag) return false;
  line.remove_prefix(tag.size());
  return true;
}

double number(std::string_view text) { return std::strtod(std::string(text).c_str(), nullptr); }

std::string_view nextLine(std::string_view& text) {
  size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  return line;
}

// Tags that carry something we use; everything else is skipped.
void parseTag(std::string_view line, HlsPlaylist& p, int& partsInSegment, bool& variantNext) {
  if (take(line, "#EXT-X-MEDIA-SEQUENCE:")) {
    p.mediaSequence = static_cast<int64_t>(number(line));
  } else if (take(line, "#EXT-X-TARGETDURATION:")) {
    p.targetDurationS = number(line);
  } else if (take(line, "#EXT-X-PART-INF:")) {
    p.partTargetS = number(parseAttributes(line)["PART-TARGET"]);
  } else if (take(line, "#EXT-X-SERVER-CONTROL:")) {
    p.canBlockReload = parseAttributes(line)["CAN-BLOCK-RELOAD"] == "YES";
  } else if (take(line, "#EXT-X-SKIP:")) {
    p.skipped = static_cast<int64_t>(number(parseAttributes(line)["SKIPPED-SEGMENTS"]));
  } else if (take(line, "#EXT-X-PART:")) {
    p.parts.push_back({p.nextMsn(), partsInSegment++, parseAttributes(line)["URI"]});
  } else if (take(line, "#EXT-X-PRELOAD-HINT:")) {
    auto attributes = parseAttributes(line);
    if (attributes["TYPE"] == "PART") p.preloadHintUri = attributes["URI"];
  } else if (take(line, "#EXT-X-STREAM-INF:")) {
    variantNext = true;
  } else if (take(line, "#EXT-X-ENDLIST")) {
    p.endList = true;
  }
}

}  // namespace

std::map<std::string, std::string> parseAttributes(std::string_view list) {
  std::map<std::string, std::string> out;
  while (!list.empty()) {
    size_t eq = list.find('=');
    if (eq == std::string_view::npos) break;
    std::string key(list.substr(0, eq));
    list.remove_prefix(eq + 1);
    std::string value;
    if (!list.empty() && list[0] == '"') {
      size_t close = list.find('"', 1);
      value = std::string(list.substr(1, close == std::string_view::npos ? close : close - 1));
      list.remove_prefix(close == std::string_view::npos ? list.size() : close + 1);
    } else {
      value = std::string(list.substr(0, list.find(',')));
      list.remove_prefix(value.size());
    }
    out[key] = value;
    if (!list.empty() && list[0] == ',') list.remove_prefix(1);
  }
  return out;
}

HlsPlaylist parseHlsPlaylist(std::string_view text) {
  HlsPlaylist p;
  int partsInSegment = 0;
  bool variantNext = false;
  bool first = true;
  while (!text.empty()) {
    std::string_view line = nextLine(text);
    if (first) p.valid = line == "#EXTM3U";
    first = false;
    if (line.empty()) continue;
    if (line[0] == '#') {
      parseTag(line, p, partsInSegment, variantNext);
    } else if (variantNext) {
      p.variants.emplace_back(line);
      variantNext = false;
    } else {
      p.segments.push_back({p.nextMsn(), std::string(line)});
      partsInSegment = 0;
    }
  }
  return p;
}

}  // namespace tidecast::bench::latency
