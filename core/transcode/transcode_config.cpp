#include "core/transcode/transcode_config.h"

#include "core/stream_hub_config.h"

namespace tidecast::core {

using config_detail::quoted;

const LadderConfig* TranscodeConfig::find(const std::string& name) const {
  for (const LadderConfig& ladder : ladders) {
    if (ladder.name == name) return &ladder;
  }
  return nullptr;
}

namespace {

constexpr uint64_t kMaxBitrate = 200'000'000;  // 200 Mbit/s: anything past it is a typo

const ConfigSection& renditionFields() {
  using B = SectionBuilder<RenditionConfig>;
  static const ConfigSection section =
      B("rendition", "")
          .text("name", &RenditionConfig::name, B::Empty::kRejected, Reload::kRestart,
                "URL segment (not video, audio or index).")
          .integer("width", &RenditionConfig::width, 0, 8192, "", Reload::kRestart,
                   "0 keeps the source's aspect ratio (never larger than the source).")
          .integer("height", &RenditionConfig::height, 0, 8192, "", Reload::kRestart, "")
          .integer("fps", &RenditionConfig::fps, 0, 240, "", Reload::kRestart, "0: the source's")
          .integer("video_bitrate", &RenditionConfig::videoBitrate, 10000, kMaxBitrate, "bits/s",
                   Reload::kRestart, "")
          .integer("maxrate", &RenditionConfig::maxrate, 0, kMaxBitrate, "bits/s", Reload::kRestart,
                   "VBV; 0 = video_bitrate")
          .integer("bufsize", &RenditionConfig::bufsize, 0, 2 * kMaxBitrate, "bits",
                   Reload::kRestart, "VBV; 0 = maxrate")
          .name("profile", &RenditionConfig::profile, {"baseline", "main", "high"},
                Reload::kRestart, "")
          .name("preset", &RenditionConfig::preset,
                {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                 "veryslow"},
                Reload::kRestart, "")
          .integer("bframes", &RenditionConfig::bframes, 0, 4, "", Reload::kRestart, "")
          .build();
  return section;
}

// A rung name becomes a stream name part and a URL segment next to the track names.
bool validRenditionName(std::string_view name) {
  return validAppName(name) && name != "video" && name != "audio" && name != "index";
}

Status parseRenditions(const ConfigValue& v, std::vector<RenditionConfig>& out) {
  if (!v.node.IsSequence()) return v.invalid("a list of renditions");
  out.clear();
  for (const auto& item : v.node) {
    const ConfigValue entry = v.at(item);
    out.emplace_back();
    if (Status status = readRecord(entry, renditionFields(), &out.back()); !status) return status;
    if (!validRenditionName(out.back().name)) {
      return entry.invalid("a rendition with a name of [A-Za-z0-9_.-] other than video/audio");
    }
    for (size_t i = 0; i + 1 < out.size(); ++i) {
      if (out[i].name == out.back().name) return entry.invalid("a rendition name used once");
    }
  }
  return {};
}

const ConfigSection& ladderFields() {
  using B = SectionBuilder<LadderConfig>;
  static const ConfigSection section =
      B("ladder", "")
          .flag("source", &LadderConfig::source, Reload::kRestart,
                "List the source itself as a variant too (passthrough).")
          .custom<std::vector<RenditionConfig>>(
              "renditions", &LadderConfig::renditions, "a list of renditions", Reload::kRestart, "",
              parseRenditions,
              [](const std::vector<RenditionConfig>& renditions) {
                const RenditionConfig defaults;
                std::string out;
                for (const RenditionConfig& r : renditions) {
                  out += "\n- {";
                  bool first = true;
                  for (const ConfigField& f : renditionFields().fields) {
                    if (f.key != "name" && f.equal(&r, &defaults)) continue;
                    out += (first ? "" : ", ") + f.key + ": " + f.render(&r);
                    first = false;
                  }
                  out += "}";
                }
                return out.empty() ? std::string("[]") : out.substr(1);
              })
          .build();
  return section;
}

Status parseLadders(const ConfigValue& v, std::vector<LadderConfig>& out) {
  out.clear();
  return readNamedRecords(
      v, "a ladder name", [](std::string_view name) { return !name.empty(); },
      [&out](const std::string& name, const ConfigValue& body) {
        out.push_back(LadderConfig{name, true, {}});
        return readRecord(body, ladderFields(), &out.back());
      });
}

std::string renderLadders(const std::vector<LadderConfig>& ladders) {
  if (ladders.empty()) return "{}";
  std::string out;
  for (const LadderConfig& ladder : ladders) {
    out += config_detail::renderScalar(ladder.name) + ":\n";
    for (const ConfigField& f : ladderFields().fields) {
      const std::string value = f.render(&ladder);
      if (value.find('\n') == std::string::npos && value.rfind("- ", 0) != 0) {
        out += "  " + f.key + ": " + value + "\n";
        continue;
      }
      out += "  " + f.key + ":\n";
      size_t start = 0;
      while (start <= value.size()) {
        const size_t end = value.find('\n', start);
        out += "    " + value.substr(start, end - start) + "\n";
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
  }
  out.pop_back();
  return out;
}

// Every app's transcode names a ladder that exists.
Status checkLadderReferences(const Config& c, std::string_view where) {
  const TranscodeConfig& transcode = c.get<TranscodeConfig>();
  for (const AppConfig& app : c.get<AppsConfig>().apps) {
    if (app.transcode.empty() || transcode.find(app.transcode) != nullptr) continue;
    return makeError("config.invalid_value", std::string(where) + ": apps." + app.name +
                                                 ".transcode: no ladder named " +
                                                 quoted(app.transcode) + " in transcode.ladders");
  }
  return {};
}

}  // namespace

const ConfigSection& transcodeConfigSection() {
  using B = SectionBuilder<TranscodeConfig>;
  static const ConfigSection section =
      B("transcode",
        "In-process transcoding (ABR ladders): libavcodec decodes each source once, libswscale "
        "scales once per rendition, libx264 encodes each rendition (tune zerolatency, VBV) "
        "with an IDR exactly on each source keyframe, so every rendition's segments line up "
        "with the source's. Renditions are streams app/key/<name>; their playlists are "
        "/{app}/{key}/<name>/video.m3u8 and index.m3u8 / index.mpd list them. Audio is the "
        "source's (AAC passthrough, shared by every variant).")
          .integer("workers", &TranscodeConfig::workers, 1, 256, "", Reload::kRestart,
                   "Worker threads shared by every job (one job per transcoded stream).")
          .integer("max_queue_frames", &TranscodeConfig::maxQueueFrames, 2, 10000, "",
                   Reload::kRestart,
                   "Source frames waiting per job. A job that falls behind real time drops "
                   "frames past it (up to the next keyframe, which every rendition keeps) "
                   "instead of growing memory.")
          .integer("encoder_threads", &TranscodeConfig::encoderThreads, 0, 64, "", Reload::kRestart,
                   "libx264 threads per rendition encoder; 0 lets libx264 choose.")
          .integer("max_jobs", &TranscodeConfig::maxJobs, 0, 10000, "", Reload::kRestart,
                   "Streams transcoded at once; further streams are not transcoded (logged).")
          .integer("audio_bitrate", &TranscodeConfig::audioBitrate, 16000, 512000, "bits/s",
                   Reload::kRestart,
                   "Transcoded streams whose audio is not AAC (Opus, MP2, MP3) get one AAC-LC "
                   "track for every rendition (FFmpeg's native aac encoder) at this bitrate; AAC "
                   "audio is shared as it is.")
          .custom<std::vector<LadderConfig>>(
              "ladders", &TranscodeConfig::ladders, "a mapping of ladder names", Reload::kRestart,
              "Named ladders, referenced by apps.<name>.transcode. Each ladder: source (list the "
              "source itself as a variant too; default true) and renditions, a list of {name "
              "(URL segment; not video/audio/index), width and height (0 keeps the source's "
              "aspect ratio; never larger than the source), fps (0 = the source's), "
              "video_bitrate (bits/s), maxrate (VBV bits/s; 0 = video_bitrate), bufsize (VBV "
              "bits; 0 = maxrate), profile (baseline|main|high: the highest allowed), preset "
              "(x264; default veryfast), bframes (0..4)}.",
              parseLadders, renderLadders)
          .check(checkLadderReferences)
          .build();
  return section;
}

}  // namespace tidecast::core
