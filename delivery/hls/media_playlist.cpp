#include "delivery/hls/media_playlist.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "api/system_routes.h"

namespace tidecast::delivery::hls {

using cmaf::CmafTrack;
using cmaf::Segment;

namespace {

double seconds(uint64_t ticks, uint32_t timescale) {
  return static_cast<double>(ticks) / static_cast<double>(timescale);
}

// Parts are listed for segments ending within this many target durations of the live edge.
constexpr uint32_t kPartWindowTargets = 3;

void header(std::string& out, const CmafTrack& track, const cmaf::CmafConfig& settings,
            const Segment& first) {
  double partTarget = settings.partTargetMs / 1000.0;
  out += "#EXTM3U\n#EXT-X-VERSION:9\n";
  fmt::format_to(std::back_inserter(out), "#EXT-X-TARGETDURATION:{}\n",
                 targetDurationSeconds(track, settings));
  fmt::format_to(std::back_inserter(out),
                 "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL={:.1f},"
                 "PART-HOLD-BACK={:.3f}\n",
                 skipUntilSeconds(track, settings), 3 * partTarget);
  fmt::format_to(std::back_inserter(out), "#EXT-X-PART-INF:PART-TARGET={:.3f}\n", partTarget);
  fmt::format_to(std::back_inserter(out), "#EXT-X-MEDIA-SEQUENCE:{}\n", first.msn);
  if (first.discontinuitySequence > 0) {
    fmt::format_to(std::back_inserter(out), "#EXT-X-DISCONTINUITY-SEQUENCE:{}\n",
                   first.discontinuitySequence);
  }
}

void parts(std::string& out, const Segment& segment, uint32_t timescale,
           std::string_view trackName) {
  for (const auto& part : segment.parts) {
    fmt::format_to(std::back_inserter(out), "#EXT-X-PART:DURATION={:.5f},URI=\"{}/p{}.m4s\"{}\n",
                   seconds(part->duration, timescale), trackName, part->id,
                   part->independent ? ",INDEPENDENT=YES" : "");
  }
}

}  // namespace

PlaylistPosition lastPosition(const CmafTrack& track) {
  const auto& segments = track.segments();
  for (auto it = segments.rbegin(); it != segments.rend(); ++it) {
    if (!it->parts.empty()) {
      return {true, it->msn, static_cast<int64_t>(it->parts.size()) - 1};
    }
  }
  return {};
}

uint32_t targetDurationSeconds(const CmafTrack& track, const cmaf::CmafConfig& settings) {
  uint64_t longestMs = track.maxSegmentDuration() * 1000 / track.timescale();
  auto target = static_cast<uint32_t>((settings.segmentTargetMs + 999) / 1000);
  return std::max(target, static_cast<uint32_t>((longestMs + 500) / 1000));
}

double skipUntilSeconds(const CmafTrack& track, const cmaf::CmafConfig& settings) {
  return 6.0 * targetDurationSeconds(track, settings);
}

std::string renderMediaPlaylist(cmaf::StreamPackager& packager, const CmafTrack& track,
                                std::string_view trackName, bool skip,
                                const std::vector<RenditionReport>& reports) {
  const cmaf::CmafConfig& settings = packager.settings();
  const auto& segments = track.segments();
  std::string out;
  out.reserve(4096);
  if (segments.empty()) return out;
  header(out, track, settings, segments.front());

  uint32_t ts = track.timescale();
  const Segment& last = segments.back();
  uint64_t end = last.start + last.duration;
  uint64_t target = uint64_t{targetDurationSeconds(track, settings)} * ts;
  // Delta update: leave out complete segments older than CAN-SKIP-UNTIL from the end.
  size_t first = 0;
  if (skip) {
    uint64_t skipUntil = static_cast<uint64_t>(skipUntilSeconds(track, settings) * ts);
    while (first < segments.size() && segments[first].complete &&
           segments[first].start + skipUntil < end) {
      ++first;
    }
    if (first > 0)
      fmt::format_to(std::back_inserter(out), "#EXT-X-SKIP:SKIPPED-SEGMENTS={}\n", first);
  }
  for (size_t i = first; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    if (s.discontinuity && i > 0) out += "#EXT-X-DISCONTINUITY\n";
    if (i == first || s.discontinuity || s.initVersion != segments[i - 1].initVersion) {
      fmt::format_to(std::back_inserter(out), "#EXT-X-MAP:URI=\"{}/init{}.mp4\"\n", trackName,
                     s.initVersion);
    }
    fmt::format_to(std::back_inserter(out), "#EXT-X-PROGRAM-DATE-TIME:{}\n",
                   api::isoTime(s.wallClockMs));
    if (end - std::min(end, s.start + s.duration) < kPartWindowTargets * target) {
      parts(out, s, ts, trackName);
    }
    if (s.complete) {
      fmt::format_to(std::back_inserter(out), "#EXTINF:{:.5f},\n{}/{}.m4s\n",
                     seconds(s.duration, ts), trackName, s.msn);
    }
  }
  if (packager.live()) {
    fmt::format_to(std::back_inserter(out), "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"{}/p{}.m4s\"\n",
                   trackName, track.nextPartId());
  }
  auto report = [&out](std::string_view uri, const CmafTrack& reported) {
    PlaylistPosition position = lastPosition(reported);
    if (position.any) {
      fmt::format_to(std::back_inserter(out),
                     "#EXT-X-RENDITION-REPORT:URI=\"{}\",LAST-MSN={},LAST-PART={}\n", uri,
                     position.msn, position.part);
    }
  };
  std::string_view other = trackName == "video" ? "audio" : "video";
  if (const CmafTrack* reported = packager.track(other)) {
    report(std::string(other) + ".m3u8", *reported);
  }
  for (const RenditionReport& r : reports) {
    if (r.track != nullptr && r.track != &track) report(r.uri, *r.track);
  }
  return out;
}

}  // namespace tidecast::delivery::hls
