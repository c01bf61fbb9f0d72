#include "delivery/hls/multivariant_playlist.h"

#include <fmt/format.h>

#include <iterator>

#include "delivery/cmaf/variant_audio.h"

namespace tidecast::delivery::hls {

TrackBandwidth measureBandwidth(const cmaf::CmafTrack& track) {
  TrackBandwidth result;
  uint64_t bytes = 0;
  uint64_t ticks = 0;
  uint64_t samples = 0;
  bool anyComplete = false;
  for (const cmaf::Segment& s : track.segments()) anyComplete |= s.complete;
  for (const cmaf::Segment& s : track.segments()) {
    if ((anyComplete && !s.complete) || s.duration == 0) continue;
    bytes += s.size;
    ticks += s.duration;
    samples += s.samples;
    uint64_t bps = s.size * 8 * track.timescale() / s.duration;
    result.peak = std::max(result.peak, bps);
  }
  if (ticks > 0) {
    result.average = bytes * 8 * track.timescale() / ticks;
    result.frameRate =
        static_cast<double>(samples) * track.timescale() / static_cast<double>(ticks);
  }
  return result;
}

namespace {

// One EXT-X-STREAM-INF for a video track, its audio (if any) in group "audio".
void videoVariant(std::string& out, const cmaf::CmafTrack& video, const cmaf::CmafTrack* audio,
                  const TrackBandwidth& audioRate, std::string_view uri) {
  const cmaf::TrackDescription& d = video.description();
  TrackBandwidth rate = measureBandwidth(video);
  double fps = d.fps > 0 ? d.fps : rate.frameRate;
  std::string codecs = d.codecString;
  if (audio) codecs += "," + audio->description().codecString;
  fmt::format_to(std::back_inserter(out),
                 "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"",
                 rate.peak + audioRate.peak, rate.average + audioRate.average, codecs);
  if (d.width > 0 && d.height > 0) {
    fmt::format_to(std::back_inserter(out), ",RESOLUTION={}x{}", d.width, d.height);
  }
  if (fps > 0) fmt::format_to(std::back_inserter(out), ",FRAME-RATE={:.3f}", fps);
  if (audio) out += ",AUDIO=\"audio\"";
  fmt::format_to(std::back_inserter(out), "\n{}\n", uri);
}

}  // namespace

std::string renderMultivariantPlaylist(cmaf::StreamPackager& packager,
                                       const std::vector<cmaf::StreamPackager*>& renditions,
                                       bool listSource) {
  cmaf::CmafTrack* video = packager.video();
  // Transcoded AAC when the source's audio is not AAC (cmaf/variant_audio.h).
  cmaf::VariantAudio shared = cmaf::variantAudio(packager, renditions);
  cmaf::CmafTrack* audio = shared.track;
  if (video == nullptr && audio == nullptr) return {};
  std::string out = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  TrackBandwidth audioRate = audio ? measureBandwidth(*audio) : TrackBandwidth{};
  if (audio && video) {
    fmt::format_to(std::back_inserter(out),
                   "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,"
                   "AUTOSELECT=YES,CHANNELS=\"{}\",URI=\"{}audio.m3u8\"\n",
                   audio->description().channels, shared.prefix);
  }
  if (video) {
    size_t listed = 0;
    for (cmaf::StreamPackager* rendition : renditions) {
      if (rendition->video() == nullptr) continue;
      std::string_view name = rendition->name();
      std::string uri = std::string(name.substr(name.rfind('/') + 1)) + "/video.m3u8";
      if (listed == 0 && listSource) videoVariant(out, *video, audio, audioRate, "video.m3u8");
      videoVariant(out, *rendition->video(), video ? audio : nullptr, audioRate, uri);
      ++listed;
    }
    if (listed == 0) videoVariant(out, *video, audio, audioRate, "video.m3u8");
  } else {
    fmt::format_to(
        std::back_inserter(out),
        "#EXT-X-STREAM-INF:BANDWIDTH={},AVERAGE-BANDWIDTH={},CODECS=\"{}\"\n{}audio.m3u8\n",
        audioRate.peak, audioRate.average, audio->description().codecString, shared.prefix);
  }
  return out;
}

}  // namespace tidecast::delivery::hls
