#include "delivery/dash/mpd.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "api/system_routes.h"
#include "delivery/cmaf/variant_audio.h"
#include "delivery/hls/multivariant_playlist.h"

namespace tidecast::delivery::dash {

using cmaf::CmafTrack;

namespace {

using Out = std::back_insert_iterator<std::string>;

// One S element: a segment at `start` and `repeat` more of the same `duration` right after it.
struct TimelineRun {
  uint64_t start = 0;
  uint64_t duration = 0;
  uint32_t repeat = 0;
};

void addToTimeline(std::vector<TimelineRun>& runs, uint64_t start, uint64_t duration) {
  if (!runs.empty()) {
    TimelineRun& last = runs.back();
    if (last.duration == duration && last.start + (last.repeat + 1) * duration == start) {
      ++last.repeat;
      return;
    }
  }
  runs.push_back({start, duration, 0});
}

// The track's segments in Period `period` (a bounded window) at their presentation times, so
// that a rendition's timeline is its source's: the complete ones as they are; the one in
// progress with its target duration, or what it holds so far when that is longer; and after
// it the next one, predicted, so that low-latency players (dash.js requests only what the
// timeline lists) ask for it while the MPD they hold is up to one minimumUpdatePeriod old. A
// predicted start that turns out wrong (the next keyframe comes later, or audio cut a frame
// off) is still honoured by CmafTrack::segmentAt.
std::vector<TimelineRun> timeline(const CmafTrack& track, uint64_t period, uint64_t target) {
  std::vector<TimelineRun> runs;
  for (const cmaf::Segment& segment : track.segments()) {
    if (segment.discontinuitySequence != period) continue;
    uint64_t start = segment.presentationStart;
    if (segment.complete) {
      addToTimeline(runs, start, segment.duration);
      continue;
    }
    uint64_t estimate = std::max(segment.duration, target);
    addToTimeline(runs, start, estimate);
    addToTimeline(runs, start + estimate, target);
  }
  return runs;
}

// Addressed by $Time$ (S@t), not $Number$: FFmpeg's DASH reader (libavformat/dashdec.c in
// 5.1, and the same in the newer code we read) takes a segment's index in the refreshed
// timeline for its number (refresh_manifest), so $Number$ works for it only while the
// timeline starts at number 0, that is until the window slides; by time it finds its place
// again after each refresh. No startNumber either: that reader adds it to the index.
void segmentTemplate(Out out, const CmafTrack& track, const cmaf::PeriodTrack& entry,
                     uint64_t period, std::string_view name, const cmaf::CmafConfig& settings) {
  uint32_t ts = track.timescale();
  uint64_t target = uint64_t{settings.segmentTargetMs} * ts / 1000;
  double ato = (settings.segmentTargetMs - settings.partTargetMs) / 1000.0;
  fmt::format_to(out,
                 "        <SegmentTemplate timescale=\"{}\" presentationTimeOffset=\"{}\" "
                 "initialization=\"{}/init{}.mp4\" media=\"{}/t$Time$.m4s\" "
                 "availabilityTimeOffset=\"{:.3f}\" availabilityTimeComplete=\"false\">\n"
                 "          <SegmentTimeline>\n",
                 ts, entry.start, name, entry.initVersion, name, ato);
  for (const TimelineRun& run : timeline(track, period, target)) {
    fmt::format_to(out, "            <S t=\"{}\" d=\"{}\"", run.start, run.duration);
    if (run.repeat > 0) fmt::format_to(out, " r=\"{}\"", run.repeat);
    fmt::format_to(out, "/>\n");
  }
  fmt::format_to(out, "          </SegmentTimeline>\n        </SegmentTemplate>\n");
}

// `id` names the Representation, `path` prefixes its objects ("video", "480p/video").
void videoRepresentation(Out out, const CmafTrack& track, const cmaf::PeriodTrack& entry,
                         uint64_t period, std::string_view id, std::string_view path,
                         const cmaf::CmafConfig& settings) {
  const cmaf::TrackDescription& d = track.description();
  hls::TrackBandwidth rate = hls::measureBandwidth(track);
  double fps = d.fps > 0 ? d.fps : rate.frameRate;
  fmt::format_to(out,
                 "      <Representation id=\"{}\" bandwidth=\"{}\" codecs=\"{}\" width=\"{}\" "
                 "height=\"{}\"",
                 id, std::max<uint64_t>(rate.peak, 1), d.codecString, d.width, d.height);
  if (fps > 0) fmt::format_to(out, " frameRate=\"{}\"", std::lround(fps));
  fmt::format_to(out, ">\n");
  segmentTemplate(out, track, entry, period, path, settings);
  fmt::format_to(out, "      </Representation>\n");
}

// The rendition's entry into the Period `id` (its segments carry the source's sequence).
const cmaf::PeriodTrack* renditionEntry(cmaf::StreamPackager& rendition, uint64_t id) {
  for (const cmaf::Period& period : rendition.periods()) {
    if (period.id == id && period.video.present) return &period.video;
  }
  return nullptr;
}

void videoSet(Out out, const CmafTrack& track, const cmaf::Period& period,
              const std::vector<cmaf::StreamPackager*>& renditions,
              const cmaf::CmafConfig& settings) {
  fmt::format_to(out,
                 "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\" "
                 "segmentAlignment=\"true\" startWithSAP=\"1\">\n");
  videoRepresentation(out, track, period.video, period.id, "video", "video", settings);
  for (cmaf::StreamPackager* rendition : renditions) {
    const cmaf::PeriodTrack* entry = renditionEntry(*rendition, period.id);
    if (entry == nullptr || rendition->video() == nullptr) continue;
    std::string_view name = rendition->name();
    std::string_view rung = name.substr(name.rfind('/') + 1);
    // The source's presentationTimeOffset (one output timeline) and the rendition's own
    // segments, presented where the source's are: segment N is the same interval in every
    // Representation (the rendition's own init segment).
    cmaf::PeriodTrack aligned = period.video;
    aligned.initVersion = entry->initVersion;
    videoRepresentation(out, *rendition->video(), aligned, period.id, rung,
                        std::string(rung) + "/video", settings);
  }
  fmt::format_to(out, "    </AdaptationSet>\n");
}

void audioSet(Out out, const CmafTrack& track, const cmaf::PeriodTrack& entry, uint64_t period,
              std::string_view path, const cmaf::CmafConfig& settings) {
  const cmaf::TrackDescription& d = track.description();
  hls::TrackBandwidth rate = hls::measureBandwidth(track);
  fmt::format_to(out,
                 "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\" "
                 "lang=\"und\" segmentAlignment=\"true\" startWithSAP=\"1\">\n"
                 "      <Representation id=\"audio\" bandwidth=\"{}\" codecs=\"{}\" "
                 "audioSamplingRate=\"{}\">\n"
                 "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:"
                 "audio_channel_configuration:2011\" value=\"{}\"/>\n",
                 std::max<uint64_t>(rate.peak, 1), d.codecString, d.sampleRate, d.channels);
  segmentTemplate(out, track, entry, period, path, settings);
  fmt::format_to(out, "      </Representation>\n    </AdaptationSet>\n");
}

}  // namespace

std::string isoDuration(int64_t ms) {
  return fmt::format("{}PT{}.{:03}S", ms < 0 ? "-" : "", std::abs(ms) / 1000, std::abs(ms) % 1000);
}

std::string renderMpd(cmaf::StreamPackager& packager, const MpdOptions& options) {
  if (packager.periods().empty() || packager.leader() == nullptr) return {};
  const cmaf::CmafConfig& settings = packager.settings();
  CmafTrack* video = packager.video();
  // Transcoded AAC when the source's audio is not AAC (cmaf/variant_audio.h).
  cmaf::VariantAudio shared = cmaf::variantAudio(packager, options.renditions);
  CmafTrack* audio = shared.track;
  std::string audioPath = shared.prefix + "audio";
  int64_t ast = packager.availabilityStartMs();
  uint64_t longest =
      packager.leader()->maxSegmentDuration() * 1000 / packager.leader()->timescale();
  std::string text;
  text.reserve(4096);
  Out out(text);
  fmt::format_to(
      out,
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
      "profiles=\"urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019\" "
      "type=\"dynamic\" availabilityStartTime=\"{}\" publishTime=\"{}\" "
      "minimumUpdatePeriod=\"{}\" minBufferTime=\"{}\" timeShiftBufferDepth=\"{}\" "
      "maxSegmentDuration=\"{}\">\n",
      api::isoTime(ast), api::isoTime(options.nowMs), isoDuration(settings.segmentTargetMs),
      isoDuration(settings.partTargetMs * 2),
      isoDuration(int64_t{settings.windowSegments} * settings.segmentTargetMs),
      isoDuration(static_cast<int64_t>(std::max<uint64_t>(longest, settings.segmentTargetMs))));
  fmt::format_to(out,
                 "  <ServiceDescription id=\"0\">\n"
                 "    <Latency referenceId=\"0\" target=\"{}\" min=\"{}\" max=\"{}\"/>\n"
                 "    <PlaybackRate min=\"0.96\" max=\"1.04\"/>\n"
                 "  </ServiceDescription>\n",
                 options.latencyTargetMs, options.latencyTargetMs / 2, options.latencyTargetMs * 3);
  for (const cmaf::Period& period : packager.periods()) {
    fmt::format_to(out, "  <Period id=\"p{}\" start=\"{}\">\n", period.id,
                   isoDuration(period.startWallClockMs - ast));
    if (video && period.video.present) {
      videoSet(out, *video, period, options.renditions, settings);
    }
    if (audio && shared.packager == &packager && period.audio.present) {
      audioSet(out, *audio, period.audio, period.id, audioPath, settings);
    } else if (audio && shared.packager != &packager) {
      // The rendition's entry into this Period (its segments carry the source's numbers).
      for (const cmaf::Period& own : shared.packager->periods()) {
        if (own.id == period.id && own.audio.present) {
          audioSet(out, *audio, own.audio, own.id, audioPath, settings);
        }
      }
    }
    fmt::format_to(out, "  </Period>\n");
  }
  fmt::format_to(out,
                 "  <UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" value=\"{}\"/>\n"
                 "</MPD>\n",
                 options.timeUrl);
  return text;
}

}  // namespace tidecast::delivery::dash
