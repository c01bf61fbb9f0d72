#include "api/admin/admin_views.h"

#include "api/system_routes.h"

namespace tidecast::api::admin {

using nlohmann::json;

namespace {

json videoView(const core::StreamInfo& info, const core::StreamStats& stats) {
  if (info.videoCodec == core::media::Codec::kUnknown) return nullptr;
  const auto& v = info.video;
  return {{"codec", core::media::codecName(info.videoCodec)},
          {"codec_string", v.codecString},
          {"width", v.width},
          {"height", v.height},
          {"fps", stats.videoFps > 0 ? stats.videoFps : v.fps},
          {"profile", v.profile},
          {"level", v.level}};
}

json audioView(const core::StreamInfo& info) {
  if (info.audioCodec == core::media::Codec::kUnknown) return nullptr;
  const auto& a = info.audio;
  return {{"codec", core::media::codecName(info.audioCodec)},
          {"codec_string", a.codecString},
          {"sample_rate", a.sampleRate},
          {"channels", a.channels}};
}

const char* roleName(core::SessionRecord::Role role) {
  return role == core::SessionRecord::Role::kPublisher ? "publisher" : "player";
}

}  // namespace

namespace {
// Transport statistics of links that measure themselves (SRT); null for the others.
json linkView(const std::optional<core::LinkStats>& link) {
  if (!link) return nullptr;
  return {{"rtt_ms", link->rttMs},
          {"bandwidth_mbps", link->bandwidthMbps},
          {"rate_mbps", link->rateMbps},
          {"packets_lost", link->packetsLost},
          {"packets_retransmitted", link->packetsRetransmitted},
          {"packets_dropped", link->packetsDropped},
          {"latency_ms", link->latencyMs}};
}
}  // namespace

json sessionView(const core::SessionRecord& s, int64_t nowUnixMs) {
  return {{"id", s.id},
          {"role", roleName(s.role)},
          {"protocol", s.protocol},
          {"peer", s.peer},
          {"stream", s.stream},
          {"started", isoTime(s.startedUnixMs)},
          {"duration_seconds", static_cast<double>(nowUnixMs - s.startedUnixMs) / 1000.0},
          {"bytes_in", s.bytesIn},
          {"bytes_out", s.bytesOut},
          {"link", linkView(s.link)}};
}

json streamView(core::StreamHub& hub, core::Stream& stream, const StreamRates& rates,
                int64_t nowUnixMs) {
  const std::string& name = stream.name();
  size_t slash = name.find('/');
  json viewers = json::object();
  size_t total = 0;
  uint64_t bytesOut = 0;
  json publisher = nullptr;
  for (const core::SessionRecord* s : hub.sessions().list()) {
    if (s->stream != name) continue;
    if (s->role == core::SessionRecord::Role::kPublisher) {
      if (s->id == stream.publisherSession()) publisher = sessionView(*s, nowUnixMs);
      continue;
    }
    viewers[s->protocol] = viewers.value(s->protocol, 0) + 1;
    ++total;
    bytesOut += s->bytesOut;
  }
  viewers["total"] = total;
  const core::StreamStats& stats = stream.stats();
  return {
      {"name", name},
      {"app", name.substr(0, slash)},
      {"key", name.substr(slash + 1)},
      {"publisher", publisher},
      {"uptime_seconds", publisher.is_null() ? 0.0 : publisher["duration_seconds"].get<double>()},
      {"video", videoView(stream.info(), stats)},
      {"audio", audioView(stream.info())},
      {"bitrate_in_bps", stats.bitrateBps},
      {"bitrate_out_bps", rates.bitrateOutBps},
      {"bytes_in", stats.payloadBytes},
      {"bytes_out", bytesOut},
      {"viewers", viewers}};
}

json keyView(const StreamKeyInfo& key) {
  return {{"id", key.id},
          {"app", key.app},
          {"label", key.label},
          {"key_sha256_prefix", key.hash.substr(0, 12)},
          {"created", isoTime(key.createdUnixMs)}};
}

}  // namespace tidecast::api::admin
