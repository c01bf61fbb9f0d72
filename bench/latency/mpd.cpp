#include "bench/latency/mpd.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "bench/latency/mini_xml.h"
#include "bench/latency/url.h"

namespace tidecast::bench::latency {
namespace {

constexpr int64_t kMaxTimelineSegments = 100000;
constexpr double kInfiniteOffsetS = 1e9;

uint64_t toU64(const std::string& text, uint64_t fallback) {
  if (text.empty()) return fallback;
  return std::strtoull(text.c_str(), nullptr, 10);
}

bool startsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string applyBaseUrl(const std::string& base, const XmlElement& element) {
  const XmlElement* baseUrl = element.child("BaseURL");
  return baseUrl == nullptr || baseUrl->text.empty() ? base : resolveUrl(base, baseUrl->text);
}

bool isVideo(const XmlElement& set, const XmlElement& representation) {
  std::string mime = representation.attribute("mimeType", set.attribute("mimeType"));
  std::string codecs = representation.attribute("codecs", set.attribute("codecs"));
  return startsWith(mime, "video/") || set.attribute("contentType") == "video" ||
         startsWith(codecs, "avc") || startsWith(codecs, "hvc") || startsWith(codecs, "hev");
}

// Applies the attributes one SegmentTemplate level sets; remembers its timeline, if any.
void mergeTemplate(const XmlElement* level, MpdVideo& v, const XmlElement*& timeline) {
  const XmlElement* t = level == nullptr ? nullptr : level->child("SegmentTemplate");
  if (t == nullptr) return;
  v.media = t->attribute("media", v.media);
  v.initialization = t->attribute("initialization", v.initialization);
  v.timescale = toU64(t->attribute("timescale"), v.timescale);
  v.duration = toU64(t->attribute("duration"), v.duration);
  v.startNumber = static_cast<int64_t>(toU64(t->attribute("startNumber"), v.startNumber));
  std::string offset = t->attribute("availabilityTimeOffset");
  if (offset == "INF") {
    v.availabilityTimeOffsetS = kInfiniteOffsetS;
  } else if (!offset.empty()) {
    v.availabilityTimeOffsetS = std::strtod(offset.c_str(), nullptr);
  }
  if (const XmlElement* timelineHere = t->child("SegmentTimeline")) timeline = timelineHere;
}

void expandTimeline(const XmlElement& timeline, MpdVideo& v) {
  uint64_t time = 0;
  int64_t number = v.startNumber;
  for (const XmlElement* s : timeline.childrenNamed("S")) {
    time = toU64(s->attribute("t"), time);
    uint64_t duration = toU64(s->attribute("d"), 0);
    int64_t repeat = std::strtoll(s->attribute("r", "0").c_str(), nullptr, 10);
    if (repeat < 0) repeat = 0;  // "until the next S": the next S says where that is
    for (int64_t k = 0; k <= repeat && number - v.startNumber < kMaxTimelineSegments; ++k) {
      v.timeline.push_back({number++, time, duration});
      time += duration;
    }
  }
}

std::string formatted(uint64_t value, std::string_view format) {
  int width =
      format.size() > 2 && format[1] == '0' ? std::atoi(std::string(format.substr(2)).c_str()) : 0;
  std::string digits = std::to_string(value);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

}  // namespace

std::string expandTemplate(std::string_view pattern, const MpdVideo& video, int64_t number,
                           uint64_t time) {
  std::string out;
  size_t i = 0;
  while (i < pattern.size()) {
    size_t close = pattern[i] == '$' ? pattern.find('$', i + 1) : std::string_view::npos;
    if (close == std::string_view::npos) {
      out += pattern[i++];
      continue;
    }
    std::string_view id = pattern.substr(i + 1, close - i - 1);
    i = close + 1;
    std::string_view format;
    if (size_t percent = id.find('%'); percent != std::string_view::npos) {
      format = id.substr(percent);
      id = id.substr(0, percent);
    }
    if (id.empty()) {
      out += '$';
    } else if (id == "RepresentationID") {
      out += video.id;
    } else if (id == "Number") {
      out += formatted(static_cast<uint64_t>(number), format);
    } else if (id == "Time") {
      out += formatted(time, format);
    } else if (id == "Bandwidth") {
      out += formatted(video.bandwidth, format);
    } else {
      out += "$" + std::string(id) + "$";
    }
  }
  return out;
}

std::string MpdVideo::segmentUrl(const MpdSegment& segment) const {
  return resolveUrl(baseUrl, expandTemplate(media, *this, segment.number, segment.time));
}

std::string MpdVideo::initializationUrl() const {
  return initialization.empty() ? ""
                                : resolveUrl(baseUrl, expandTemplate(initialization, *this, 0, 0));
}

double parseXsDuration(std::string_view text) {
  if (text.empty() || text[0] != 'P') return 0;
  double seconds = 0;
  bool inTime = false;
  std::string number;
  for (char c : text.substr(1)) {
    if (c == 'T') {
      inTime = true;
    } else if ((c >= '0' && c <= '9') || c == '.') {
      number += c;
    } else {
      double v = std::strtod(number.c_str(), nullptr);
      number.clear();
      if (c == 'Y') seconds += v * 365 * 86400;
      if (c == 'M') seconds += inTime ? v * 60 : v * 30 * 86400;
      if (c == 'W') seconds += v * 7 * 86400;
      if (c == 'D') seconds += v * 86400;
      if (c == 'H') seconds += v * 3600;
      if (c == 'S') seconds += v;
    }
  }
  return seconds;
}

std::optional<int64_t> parseXsDateTime(std::string_view text) {
  std::string s(text);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, used = 0;
  double second = 0;
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%lf%n", &year, &month, &day, &hour, &minute, &second,
                  &used) < 6) {
    return std::nullopt;
  }
  std::tm t{};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  int64_t micros = static_cast<int64_t>(timegm(&t)) * 1000000 + std::llround(second * 1e6);
  char sign = 0;
  int zoneHours = 0, zoneMinutes = 0;
  if (std::sscanf(s.c_str() + used, "%c%d:%d", &sign, &zoneHours, &zoneMinutes) == 3 &&
      (sign == '+' || sign == '-')) {
    int64_t offset = (zoneHours * 60 + zoneMinutes) * int64_t{60000000};
    micros += sign == '+' ? -offset : offset;
  }
  return micros;
}

bool parseMpd(std::string_view xml, const std::string& mpdUrl, Mpd& out, std::string& error) {
  XmlElement root;
  if (!parseXml(xml, root, error)) return false;
  if (root.name != "MPD") {
    error = "root element is <" + root.name + ">, not <MPD>";
    return false;
  }
  out = Mpd{};
  out.dynamic = root.attribute("type") == "dynamic";
  out.availabilityStartMicros = parseXsDateTime(root.attribute("availabilityStartTime"));
  auto periods = root.childrenNamed("Period");
  if (periods.empty()) {
    error = "no Period";
    return false;
  }
  const XmlElement& period = *periods.back();
  out.periodStartS = parseXsDuration(period.attribute("start", "PT0S"));
  std::string periodBase = applyBaseUrl(applyBaseUrl(mpdUrl, root), period);
  for (const XmlElement* set : period.childrenNamed("AdaptationSet")) {
    for (const XmlElement* representation : set->childrenNamed("Representation")) {
      if (!isVideo(*set, *representation)) continue;
      MpdVideo v;
      v.id = representation->attribute("id");
      v.bandwidth = toU64(representation->attribute("bandwidth"), 0);
      v.baseUrl = applyBaseUrl(applyBaseUrl(periodBase, *set), *representation);
      const XmlElement* timeline = nullptr;
      for (const XmlElement* level : {&period, set, representation})
        mergeTemplate(level, v, timeline);
      if (v.media.empty()) {
        error = "video Representation '" + v.id + "' has no SegmentTemplate@media";
        return false;
      }
      if (timeline != nullptr) expandTimeline(*timeline, v);
      out.video = std::move(v);
      return true;
    }
  }
  error = "no video Representation";
  return false;
}

}  // namespace tidecast::bench::latency
