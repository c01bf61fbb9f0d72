#include "ingest/srt/srt_session.h"

#include "core/stream_name.h"
#include "ingest/srt/srt_server.h"

namespace tidecast::ingest::srt {

SrtSession::SrtSession(SrtServer& server, ConnectionInfo info)
    : server_(server), info_(std::move(info)), backlog_(server.playerBacklog()) {}

SrtSession::~SrtSession() {
  if (!rttLabels_.empty()) {
    server_.context().metrics.remove("tidecast_ingest_srt_rtt_milliseconds", rttLabels_);
  }
}

void SrtSession::start() {
  bool publish = info_.streamId.mode == StreamMode::kPublish;
  auto& hub = server_.hub();
  record_ = &hub.sessions().open(
      publish ? core::SessionRecord::Role::kPublisher : core::SessionRecord::Role::kPlayer, "srt",
      info_.peer);
  record_->close = [this](std::string_view reason) { close(reason, true); };
  record_->link = core::LinkStats{};
  server_.context().log.info("srt.connected conn={} session={} peer={} mode={} stream={}/{}",
                             info_.id, record_->id, info_.peer, modeName(info_.streamId.mode),
                             info_.streamId.app, core::publicStreamKey(info_.streamId.key));
  authorizing_ = true;
  core::AccessRequest request{
      publish ? core::AccessRequest::Kind::kPublish : core::AccessRequest::Kind::kPlay,
      info_.streamId.app,
      info_.streamId.key,
      info_.streamId.query,
      record_->id,
      "srt",
      info_.peer};
  hub.authorize(std::move(request),
                [this, guard = std::weak_ptr<int>(authGuard_)](core::Result<std::string> key) {
                  if (guard.expired()) return;  // closed while the check was in flight
                  authorizing_ = false;
                  authorized(std::move(key));
                });
}

void SrtSession::authorized(core::Result<std::string> key) {
  if (closed_) return;
  if (!key) return refuse(key.error());
  if (info_.streamId.mode == StreamMode::kPublish) return startPublishing(*key);
  startPlaying(*key);
}

void SrtSession::refuse(const core::Error& error) {
  server_.authDenied.inc();
  server_.context().log.warn(
      "srt.refused conn={} peer={} mode={} stream={}/{} code={} error=\"{}\"", info_.id, info_.peer,
      modeName(info_.streamId.mode), info_.streamId.app, core::publicStreamKey(info_.streamId.key),
      error.code, error.message);
  close(error.code, true);
}

void SrtSession::startPublishing(const std::string& key) {
  auto stream = server_.hub().startPublishing(info_.streamId.app, key, *record_);
  if (!stream) return refuse(stream.error());
  publishing_ = *stream;
  registerRttMetric();
  server_.listener().startDemux(info_.id);  // bytes queued since the handshake flow in now
}

void SrtSession::startPlaying(const std::string& key) {
  auto& hub = server_.hub();
  auto name = core::StreamHub::streamName(info_.streamId.app, key);
  if (!name || hub.find(*name) == nullptr) {
    return refuse(core::makeError("hub.not_found", "the stream is not live"));
  }
  record_->stream = *name;
  registerRttMetric();
  muxer_ = std::make_unique<TsMuxer>([this](core::Slice bytes) {
    record_->bytesOut += bytes.size();
    info_.outbox->push(std::move(bytes));
  });
  joined_ = true;
  auto stream = hub.subscribe(info_.streamId.app, key, *this, *record_);  // replays the GOP
  if (!stream) return refuse(stream.error());
  if (!closed_) playing_ = *stream;
  server_.requestSend();
}

void SrtSession::registerRttMetric() {
  rttLabels_ = {{"session", std::to_string(record_->id)},
                {"stream", core::publicStreamName(record_->stream)}};
  server_.context().metrics.gaugeCallback(
      "tidecast_ingest_srt_rtt_milliseconds", "Round-trip time of an SRT session's link",
      [this] { return lastLink_.rttMs; }, rttLabels_);
}

void SrtSession::onPublishedPacket(const core::media::MediaPacketPtr& packet) {
  if (closed_ || publishing_ == nullptr) return;
  server_.packetsIn.inc();
  publishing_->push(packet, server_.context().loop.nowMs());
}

void SrtSession::onStats(const ConnectionStats& stats) {
  if (closed_ || record_ == nullptr) return;
  const core::LinkStats& link = stats.link;
  auto delta = [](uint64_t now, uint64_t before) { return now > before ? now - before : 0; };
  server_.packetsLost.inc(delta(link.packetsLost, lastLink_.packetsLost));
  server_.packetsRetransmitted.inc(
      delta(link.packetsRetransmitted, lastLink_.packetsRetransmitted));
  server_.packetsDropped.inc(delta(link.packetsDropped, lastLink_.packetsDropped));
  server_.bytesIn.inc(delta(stats.bytesReceived, lastBytesIn_));
  server_.bytesOut.inc(delta(stats.bytesSent, lastBytesOut_));
  lastLink_ = link;
  lastBytesIn_ = stats.bytesReceived;
  lastBytesOut_ = stats.bytesSent;
  record_->link = link;
  record_->bytesIn = stats.bytesReceived;
  if (info_.streamId.mode == StreamMode::kPublish) record_->bytesOut = stats.bytesSent;
}

// ---- playing ---------------------------------------------------------------------------------

void SrtSession::onPacket(const core::media::MediaPacketPtr& packet) {
  if (closed_ || !muxer_) return;
  // Configuration packets always go to the muxer: they are small and it needs them.
  if (!packet->config) {
    switch (backlog_.decide(*packet, info_.outbox->pendingBytes())) {
      case core::BacklogPolicy::Decision::kSkip:
        return;
      case core::BacklogPolicy::Decision::kDrop:
        server_.playersDropped.inc();
        server_.context().log.warn("srt.player_too_slow conn={} peer={} stream={}", info_.id,
                                   info_.peer,
                                   core::publicStreamName(record_ ? record_->stream : ""));
        return close("player too slow", true);
      case core::BacklogPolicy::Decision::kSend:
        break;
    }
  }
  if (auto status = muxer_->push(*packet); !status) {
    server_.context().log.warn("srt.mux_failed conn={} error=\"{}\"", info_.id,
                               status.error().message);
    return close(status.error().code, true);
  }
  server_.requestSend();
}

void SrtSession::onStreamEnd(std::string_view reason) {
  playing_ = nullptr;
  close(std::string("stream ended: ") + std::string(reason), true);
}

// ---- closing ---------------------------------------------------------------------------------

void SrtSession::close(std::string_view reason, bool tellListener) {
  if (closed_) return;
  closed_ = true;
  authGuard_ = std::make_shared<int>(0);  // a pending authorization answer is dropped
  auto& hub = server_.hub();
  if (publishing_) hub.stopPublishing(*std::exchange(publishing_, nullptr), reason);
  if (record_ && joined_)
    hub.unsubscribe(std::exchange(playing_, nullptr), *this, *record_, reason);
  if (record_) hub.sessions().remove(record_->id);
  record_ = nullptr;
  server_.context().log.info("srt.closed conn={} peer={} reason=\"{}\"", info_.id, info_.peer,
                             reason);
  if (tellListener) server_.listener().close(info_.id, std::string(reason));
  server_.release(*this);
}

}  // namespace tidecast::ingest::srt
