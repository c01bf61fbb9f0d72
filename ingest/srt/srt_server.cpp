#include "ingest/srt/srt_server.h"

#include <srt/access_control.h>

#include <chrono>

namespace tidecast::ingest::srt {

struct SrtServer::HandshakeCheck {
  bool done = false;  // guarded by checkMutex_
  HandshakeVerdict verdict;
};

namespace {

int rejectCodeFor(const std::string& hubCode) {
  if (hubCode == "hub.unknown_app") return SRT_REJX_NOTFOUND;
  if (hubCode == "hub.bad_key") return SRT_REJX_UNAUTHORIZED;
  if (hubCode == "hub.already_publishing") return SRT_REJX_CONFLICT;
  return SRT_REJX_BAD_REQUEST;  // hub.bad_name
}

std::string rejectName(int code) {
  switch (code) {
    case SRT_REJX_BAD_REQUEST:
      return "bad_request";
    case SRT_REJX_UNAUTHORIZED:
      return "unauthorized";
    case SRT_REJX_OVERLOAD:
      return "overload";
    case SRT_REJX_NOTFOUND:
      return "not_found";
    case SRT_REJX_BAD_MODE:
      return "bad_mode";
    case SRT_REJX_CONFLICT:
      return "conflict";
    case SRT_REJX_VERSION:
      return "version";
    case SRT_REJX_DOWN:
      return "down";
    default:
      return "other";
  }
}

}  // namespace

SrtServer::SrtServer(core::LoopContext& context, core::StreamHub& hub, SrtConfig settings)
    : packetsIn(context.metrics.counter("tidecast_ingest_srt_media_packets_total",
                                        "Media packets demuxed from SRT publishers")),
      bytesIn(context.metrics.counter("tidecast_ingest_srt_received_bytes_total",
                                      "Bytes received on SRT connections")),
      bytesOut(context.metrics.counter("tidecast_ingest_srt_sent_bytes_total",
                                       "Bytes sent on SRT connections")),
      packetsLost(context.metrics.counter("tidecast_ingest_srt_packets_lost_total",
                                          "SRT packets detected lost (before retransmission)")),
      packetsRetransmitted(context.metrics.counter(
          "tidecast_ingest_srt_packets_retransmitted_total", "SRT packets retransmitted")),
      packetsDropped(context.metrics.counter(
          "tidecast_ingest_srt_packets_dropped_total",
          "SRT packets dropped for arriving or leaving too late (lost for good)")),
      playersDropped(context.metrics.counter("tidecast_ingest_srt_players_dropped_total",
                                             "SRT players dropped for falling behind")),
      authDenied(context.metrics.counter(
          "tidecast_ingest_srt_auth_denied_total",
          "SRT connections closed after the handshake by an access authorizer (webhook)")),
      context_(context),
      hub_(hub),
      settings_(std::move(settings)),
      graveyard_(context.loop) {
  context.metrics.gaugeCallback(
      "tidecast_ingest_srt_connections", "Open SRT connections (publishers and players)",
      [this] { return static_cast<double>(listener_ ? listener_->connectionCount() : 0); });
}

SrtServer::~SrtServer() { shutdown(); }

core::Status SrtServer::listen() {
  inbox_ = std::make_unique<LoopInbox>(context_.loop, settings_.loopQueuePackets);
  SrtListener::Hooks hooks;
  hooks.checkHandshake = [this](const StreamId& id, const std::string& peer) {
    return checkHandshake(id, peer);
  };
  hooks.rejected = [this](int code, const std::string& peer, const std::string& why) {
    onRejected(code, peer, why);
  };
  hooks.opened = [this](ConnectionInfo info) {
    // The SRT thread must not wait: a full queue refuses the connection.
    uint64_t id = info.id;
    if (!inbox_->tryPost([this, info = std::move(info)]() mutable {
          auto session = std::make_unique<SrtSession>(*this, std::move(info));
          SrtSession& ref = *session;
          sessions_.emplace(ref.id(), std::move(session));
          ref.start();
        })) {
      listener_->close(id, "loop queue full");
    }
  };
  hooks.packet = [this](uint64_t id, core::media::MediaPacketPtr packet,
                        const std::atomic<bool>& cancel) {
    return inbox_->post(
        [this, id, packet = std::move(packet)] {
          if (SrtSession* session = find(id)) session->onPublishedPacket(packet);
        },
        cancel);
  };
  hooks.closed = [this](uint64_t id, std::string reason) {
    // Must reach the loop (the session would linger otherwise): waits for room, which only
    // takes long while the loop is saturated; a closed inbox (shutdown) returns at once.
    std::atomic<bool> never{false};
    inbox_->post(
        [this, id, reason = std::move(reason)] {
          if (SrtSession* session = find(id)) session->close(reason, false);
        },
        never);
  };
  hooks.stats = [this](uint64_t id, ConnectionStats stats) {
    (void)inbox_->tryPost([this, id, stats] {
      if (SrtSession* session = find(id)) session->onStats(stats);
    });
  };
  listener_ = std::make_unique<SrtListener>(settings_, std::move(hooks), context_.log);
  return listener_->start();
}

void SrtServer::shutdown() {
  {
    std::lock_guard lock(checkMutex_);
    down_ = true;
  }
  checkDone_.notify_all();
  std::vector<SrtSession*> open;
  for (auto& [id, session] : sessions_) open.push_back(session.get());
  for (SrtSession* session : open) session->close("server stopping", false);
  if (sendRequested_) context_.loop.cancelFlush(*this);
  sendRequested_ = false;
  if (inbox_) inbox_->close();  // wakes demux threads waiting for room
  if (listener_) listener_->stop();
  listener_.reset();
  graveyard_.clear();
}

void SrtServer::requestSend() {
  if (sendRequested_) return;
  sendRequested_ = true;
  context_.loop.deferFlush(*this);
}

void SrtServer::flush() {
  sendRequested_ = false;
  if (listener_) listener_->wake();
}

void SrtServer::release(SrtSession& session) {
  auto it = sessions_.find(session.id());
  if (it == sessions_.end()) return;
  graveyard_.bury(std::move(it->second));
  sessions_.erase(it);
}

SrtSession* SrtServer::find(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

// ---- handshake checks ------------------------------------------------------------------------

HandshakeVerdict SrtServer::checkHandshake(const StreamId& id, const std::string& peer) {
  auto check = std::make_shared<HandshakeCheck>();
  bool posted = inbox_->tryPost([this, check, id] {
    HandshakeVerdict verdict = decide(id);
    {
      std::lock_guard lock(checkMutex_);
      check->verdict = std::move(verdict);
      check->done = true;
    }
    checkDone_.notify_all();
  });
  if (!posted) return {SRT_REJX_OVERLOAD, {}};
  std::unique_lock lock(checkMutex_);
  bool answered = checkDone_.wait_for(lock, std::chrono::milliseconds(settings_.handshakeTimeoutMs),
                                      [&] { return check->done || down_; });
  if (!answered || !check->done) {
    context_.log.warn("srt.handshake_timeout peer={} timeout_ms={}", peer,
                      settings_.handshakeTimeoutMs);
    return {SRT_REJX_OVERLOAD, {}};
  }
  return check->verdict;
}

HandshakeVerdict SrtServer::decide(const StreamId& id) const {
  HandshakeVerdict verdict;
  if (id.mode == StreamMode::kPublish) {
    if (auto status = hub_.checkPublish(id.app, id.key); !status) {
      verdict.rejectReason = rejectCodeFor(status.error().code);
      return verdict;
    }
  } else {
    auto name = core::StreamHub::streamName(id.app, id.key);
    if (!name || hub_.find(*name) == nullptr) {
      verdict.rejectReason = SRT_REJX_NOTFOUND;
      return verdict;
    }
  }
  auto app = settings_.appPassphrases.find(id.app);
  verdict.passphrase = app != settings_.appPassphrases.end() ? app->second : settings_.passphrase;
  return verdict;
}

void SrtServer::onRejected(int code, const std::string& peer, const std::string& why) {
  // libsrt's thread: the registry and the log line belong to the loop.
  (void)inbox_->tryPost([this, code, peer, why] {
    context_.metrics
        .counter("tidecast_ingest_srt_handshakes_rejected_total",
                 "SRT handshakes refused, by reject reason", {{"reason", rejectName(code)}})
        .inc();
    context_.log.warn("srt.handshake_rejected peer={} reason={} code={} why=\"{}\"", peer,
                      rejectName(code), code, why);
  });
}

}  // namespace tidecast::ingest::srt
