#include "ingest/srt/srt_config.h"

#include "core/stream_hub_config.h"

namespace tidecast::ingest::srt {

using core::kConfigMaxBytes;
using core::kConfigMaxMillis;
using core::Reload;

namespace {

constexpr size_t kPassphraseMin = 10;  // libsrt's limits on SRTO_PASSPHRASE
constexpr size_t kPassphraseMax = 79;
constexpr const char* kPassphraseType = "a passphrase of 10..79 characters, or \"\"";

core::Status parsePassphrase(const core::ConfigValue& v, std::string& out) {
  std::string value;
  if (auto status = core::config_detail::scalarText(v, kPassphraseType, value); !status) {
    return status;
  }
  if (!value.empty() && (value.size() < kPassphraseMin || value.size() > kPassphraseMax)) {
    return v.invalid(kPassphraseType);
  }
  out = std::move(value);
  return {};
}

using Passphrases = std::map<std::string, std::string, std::less<>>;

// One srt.apps entry.
struct AppPassphrase {
  std::string passphrase;
};

const core::ConfigSection& appFields() {
  static const core::ConfigSection section =
      core::SectionBuilder<AppPassphrase>("app", "")
          .custom<std::string>("passphrase", &AppPassphrase::passphrase, kPassphraseType,
                               Reload::kRestart, "", parsePassphrase,
                               core::config_detail::renderScalar)
          .build();
  return section;
}

// srt.apps: app name -> {passphrase}.
core::Status parseApps(const core::ConfigValue& v, Passphrases& out) {
  out.clear();
  return core::readNamedRecords(
      v, "an app name", core::validAppName,
      [&out](const std::string& app, const core::ConfigValue& body) -> core::Status {
        AppPassphrase entry;
        if (auto status = core::readRecord(body, appFields(), &entry); !status) return status;
        out.emplace(app, std::move(entry.passphrase));
        return {};
      });
}

std::string renderApps(const Passphrases& apps) {
  if (apps.empty()) return "{}";
  std::string out;
  for (const auto& [app, passphrase] : apps) {
    out += app + ":\n  passphrase: " + core::config_detail::renderScalar(passphrase) + "\n";
  }
  out.pop_back();
  return out;
}

}  // namespace

const core::ConfigSection& srtConfigSection() {
  using C = SrtConfig;
  using B = core::SectionBuilder<C>;
  static const core::ConfigSection section =
      B("srt",
        "SRT ingest and playback (libsrt): srt://HOST:9000?streamid=#!::r={app}/{key},m=publish "
        "publishes MPEG-TS (H.264 or HEVC video, AAC, Opus, MP2 or MP3 audio; MP2 reaches only "
        "SRT players, or HLS/DASH as AAC through a transcode ladder); m=request plays the "
        "stream back as MPEG-TS. A plain stream id \"app/key\" publishes. Stream keys, apps and "
        "the on_publish/on_play webhooks apply as for RTMP: a bad stream id, an unknown app or "
        "key, a live key (on_conflict: reject), nothing live to play and a wrong passphrase are "
        "refused at the SRT handshake with a reject reason.")
          .flag("enabled", &C::enabled, Reload::kRestart,
                "Accept SRT publishers and players. libsrt's own threads wake every 10 ms even "
                "when no SRT peer is connected (about 1 % of a core): turn this off if SRT is "
                "unused.")
          .text("listen", &C::listen, B::Empty::kRejected, Reload::kRestart,
                "Address the SRT listener binds (UDP), IPv4 or IPv6.")
          .integer("port", &C::port, 1, 65535, "", Reload::kRestart, "UDP port.")
          .integer("latency_ms", &C::latencyMs, 20, 60000, "ms", Reload::kRestart,
                   "SRT latency (SRTO_LATENCY): how long the receiver waits for "
                   "retransmissions; the larger of both peers' values is used. Rule of thumb: 4x "
                   "the round-trip time on lossy links.")
          .integer("max_bandwidth", &C::maxBandwidth, 0, kConfigMaxBytes, "bytes/s",
                   Reload::kRestart,
                   "Sending bandwidth limit per connection (SRTO_MAXBW); 0 = no limit.")
          .custom<std::string>("passphrase", &C::passphrase, kPassphraseType, Reload::kRestart,
                               "AES passphrase every caller must use; \"\" = no encryption (a "
                               "caller that sets one is then refused). An app's own passphrase "
                               "(apps) takes precedence.",
                               parsePassphrase, core::config_detail::renderScalar)
          .choice<uint32_t>("pbkeylen", &C::pbkeylen, {{"16", 16}, {"24", 24}, {"32", 32}},
                            Reload::kRestart, "AES key length in bytes when a passphrase is set.")
          .custom<Passphrases>("apps", &C::appPassphrases, "a mapping of app names",
                               Reload::kRestart,
                               "Per-app passphrases, e.g.\n"
                               "  apps: {live: {passphrase: \"a long secret phrase\"}}",
                               parseApps, renderApps)
          .integer("max_connections", &C::maxConnections, 1, 100000, "", Reload::kRestart,
                   "Open SRT connections (publishers and players together); past it the "
                   "handshake is refused (SRT_REJX_OVERLOAD).")
          .integer("receive_queue_bytes", &C::receiveQueueBytes, 64 * 1024, kConfigMaxBytes,
                   "bytes", Reload::kRestart,
                   "Bytes one publisher may have received ahead of its demuxer; past it the "
                   "connection is closed.")
          .integer("loop_queue_packets", &C::loopQueuePackets, 64, 10000000, "", Reload::kRestart,
                   "Demuxed packets (all publishers) waiting for the event loop; demuxers wait "
                   "while it is full.")
          .integer("handshake_timeout_ms", &C::handshakeTimeoutMs, 10, 60000, "ms",
                   Reload::kRestart,
                   "How long a handshake waits for the event loop's answer (key checks) before "
                   "it is refused as overloaded.")
          .integer("stats_interval_ms", &C::statsIntervalMs, 100, kConfigMaxMillis, "ms",
                   Reload::kRestart,
                   "Link statistics sampling (RTT, bandwidth, loss, retransmissions, drops: "
                   "session records, admin API, metrics).")
          .build();
  return section;
}

}  // namespace tidecast::ingest::srt
