// What the DASH reader needs from an MPD: the stream's timing (availabilityStartTime, the last
// Period's start) and the first video Representation's SegmentTemplate, resolved to absolute
// URLs. Both addressing styles: $Number$ with a fixed duration (tidecast's LL-DASH, the live
// edge computed from the clock) and SegmentTimeline (nginx-rtmp, the segments listed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tidecast::bench::latency {

struct MpdSegment {
  int64_t number = 0;
  uint64_t time = 0;  // in timescale units
  uint64_t duration = 0;
};

struct MpdVideo {
  std::string id;
  uint64_t bandwidth = 0;
  std::string baseUrl;  // absolute: the MPD URL with every BaseURL on the way applied
  std::string media;    // templates
  std::string initialization;
  uint64_t timescale = 1;
  uint64_t duration = 0;  // 0 with a SegmentTimeline
  int64_t startNumber = 1;
  double availabilityTimeOffsetS = 0;  // "INF" is kept as a large number
  std::vector<MpdSegment> timeline;    // expanded (repeats written out); empty without one

  std::string segmentUrl(const MpdSegment& segment) const;
  std::string initializationUrl() const;
};

struct Mpd {
  bool dynamic = false;
  std::optional<int64_t> availabilityStartMicros;
  double periodStartS = 0;  // the last Period's
  std::optional<MpdVideo> video;
};

// Parses `xml`, fetched from `mpdUrl`. False with `error` set when it is not a usable MPD.
bool parseMpd(std::string_view xml, const std::string& mpdUrl, Mpd& out, std::string& error);

// A SegmentTemplate string with $RepresentationID$, $Number[%0Nd]$, $Time[%0Nd]$,
// $Bandwidth[%0Nd]$ and $$ substituted.
std::string expandTemplate(std::string_view pattern, const MpdVideo& video, int64_t number,
                           uint64_t time);

// xs:duration ("PT1.5S", "P1DT2H") in seconds; 0 when unparsable.
double parseXsDuration(std::string_view text);
// xs:dateTime ("2024-05-01T12:00:00.250Z", "+02:00" offsets) in µs since the epoch.
std::optional<int64_t> parseXsDateTime(std::string_view text);

}  // namespace tidecast::bench::latency
