#include "core/stream_hub_config.h"

namespace tidecast::core {

using config_detail::renderScalar;

const AppConfig* AppsConfig::find(std::string_view name) const {
  for (const AppConfig& app : apps) {
    if (app.name == name) return &app;
  }
  return nullptr;
}

bool validAppName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name == "." || name == "..") return false;
  for (std::string_view reserved : kReservedAppNames) {
    if (name == reserved) return false;
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

namespace {

using Apps = SectionBuilder<AppsConfig>;

// One app's keys: the same machinery as a section, on an AppConfig.
const ConfigSection& appFields() {
  using B = SectionBuilder<AppConfig>;
  static const ConfigSection section =
      B("app", "")
          .custom<AppConfig>(
              "publish_keys", [](AppConfig& a) -> AppConfig& { return a; },
              "'any' or a list of stream keys", Reload::kLive,
              "Stream keys allowed to publish: any (development), or a list such as [k1, k2].",
              [](const ConfigValue& v, AppConfig& app) -> Status {
                if (v.node.IsScalar() && v.node.Scalar() == "any") {
                  app.anyKey = true;
                  app.publishKeys.clear();
                  return {};
                }
                if (!v.node.IsSequence()) return v.invalid("'any' or a list of stream keys");
                app.anyKey = false;
                app.publishKeys.clear();
                for (const auto& item : v.node) {
                  if (!item.IsScalar() || item.Scalar().empty()) {
                    return v.at(item).invalid("a non-empty stream key");
                  }
                  app.publishKeys.push_back(item.Scalar());
                }
                return {};
              },
              [](const AppConfig& app) {
                if (app.anyKey) return std::string("any");
                std::string out = "[";
                for (size_t i = 0; i < app.publishKeys.size(); ++i) {
                  out += (i > 0 ? ", " : "") + renderScalar(app.publishKeys[i]);
                }
                return out + "]";
              })
          .choice<bool>("on_conflict", &AppConfig::takeover,
                        {{"reject", false}, {"takeover", true}}, Reload::kLive,
                        "A second publisher on a live key: reject it, or let it take over (the "
                        "first one is disconnected).")
          .text("playback_secret", &AppConfig::playbackSecret, B::Empty::kAllowed, Reload::kLive,
                "Signed playback URLs: with a secret, every viewer (HTTP-FLV, LL-HLS playlists, "
                "DASH MPD, CMAF objects, RTMP play) needs ?expires=<unix s>&signature=<HMAC-SHA256 "
                "of \"/{app}/{key}:<expires>\" with this secret, hex or base64url>; 403 (RTMP: "
                "NetStream.Play.Failed) otherwise. scripts/sign-url prints signed URLs. \"\" = "
                "open.")
          .integer("playback_ttl_ms", &AppConfig::playbackTtlMs, 1000, 30 * kConfigMaxMillis, "ms",
                   Reload::kLive,
                   "The longest validity a signed URL may have (expires - now); longer ones are "
                   "refused.")
          .text("transcode", &AppConfig::transcode, B::Empty::kAllowed, Reload::kLive,
                "ABR: the name of a transcode.ladders entry; every new stream of the app is "
                "transcoded into its renditions (listed in index.m3u8 / index.mpd next to the "
                "source). \"\" = off. The admin API turns single streams on or off (PUT "
                "/api/v1/streams/{app}/{key}/transcode).")
          .build();
  return section;
}

Status parseApps(const ConfigValue& v, std::vector<AppConfig>& out) {
  out.clear();
  return readNamedRecords(v, "an app name of [A-Za-z0-9_.-], not one of the reserved routes",
                          validAppName, [&out](const std::string& name, const ConfigValue& body) {
                            out.push_back(AppConfig{.name = name});
                            return readRecord(body, appFields(), &out.back());
                          });
}

std::string renderApps(const std::vector<AppConfig>& apps) {
  if (apps.empty()) return "{}";
  std::string out;
  const AppConfig defaults;
  for (const AppConfig& app : apps) {
    out += app.name + ":\n";
    for (const ConfigField& f : appFields().fields) {
      out += "  " + f.key + ": " + f.render(&app) + "\n";
    }
  }
  out.pop_back();
  return out;
}

}  // namespace

const ConfigSection& appsConfigSection() {
  static const ConfigSection section =
      Apps("apps",
           "Applications: the {app} in rtmp://HOST/{app}/{key} and in /{app}/{key}/... URLs. "
           "Given, this mapping replaces the default (one app, live, any key). Names are "
           "[A-Za-z0-9_.-]; api, ws, watch, admin, assets, healthz, metrics and time are routes "
           "and cannot be app names. Each app takes publish_keys (any, or a list of keys), "
           "on_conflict (reject|takeover), playback_secret (signed playback URLs; \"\" = open), "
           "playback_ttl_ms (longest signed-URL validity) and transcode (a transcode.ladders "
           "name; \"\" = no ABR ladder).")
          .custom<std::vector<AppConfig>>("", &AppsConfig::apps, "a mapping of app names",
                                          Reload::kLive,
                                          "Publishers and viewers use the new values from "
                                          "their next request on.",
                                          parseApps, renderApps)
          .build();
  return section;
}

const ConfigSection& streamsConfigSection() {
  using B = SectionBuilder<StreamsConfig>;
  static const ConfigSection section =
      B("streams", "Live streams in the hub: publishers' timeouts, the GOP cache, viewers.")
          .integer("publisher_timeout_ms", &StreamsConfig::publisherTimeoutMs, 100,
                   kConfigMaxMillis, "ms", Reload::kLive,
                   "A stream whose publisher sends nothing for this long is ended.")
          .integer("gop_cache_max_bytes", &StreamsConfig::gopCacheMaxBytes, 0, kConfigMaxBytes,
                   "bytes", Reload::kLive,
                   "Bytes of the current GOP kept so new viewers start at once from the last "
                   "keyframe; a GOP larger than this is not cached (viewers then wait for the "
                   "next keyframe).")
          .integer<size_t>("player_max_backlog_bytes",
                           B::member(&StreamsConfig::playerBacklog, &BacklogLimits::maxBytes), 1024,
                           kConfigMaxBytes, "bytes", Reload::kRestart,
                           "A viewer (RTMP or HTTP-FLV) with more than this many unsent bytes "
                           "skips ahead to the next keyframe; still behind at that keyframe, it "
                           "is dropped. The publisher never waits.")
          .integer<uint32_t>("player_max_backlog_ms",
                             B::member(&StreamsConfig::playerBacklog, &BacklogLimits::maxMs), 100,
                             kConfigMaxMillis, "ms", Reload::kRestart,
                             "Media time a viewer may spend skipping before it is dropped.")
          .integer<uint32_t>(
              "player_write_merge_ms",
              B::member(&StreamsConfig::playerBacklog, &BacklogLimits::writeMergeMs), 0, 1000, "ms",
              Reload::kRestart,
              "Merged writes: once an RTMP or HTTP-FLV viewer has its start-up burst, its "
              "packets are gathered and sent together at most this much later, for all viewers "
              "on one timer tick: one writev per viewer per tick instead of one per packet. "
              "This is most of the CPU a viewer costs (bench/RESULTS.md: per viewer about 0.6x "
              "the CPU of unmerged writes at 50 ms, 0.5x at 100 ms) for at most that much added "
              "delay. 0 sends every loop turn.")
          .build();
  return section;
}

}  // namespace tidecast::core
