// SRT ingest and playback on one loop: owns the SrtListener (the SRT thread) and the loop
// side of every connection (SrtSession). Answers the listener's handshake checks on the loop
// (stream name, app, stream key through the hub's own checks, a live stream to play, the
// app's passphrase) and keeps the tidecast_ingest_srt_* metrics.
//
// Access control happens twice, by design. libsrt's listen callback must answer
// synchronously, inside the handshake, on libsrt's thread: it asks the loop (bounded queue +
// uv_async_t, waiting at most handshake_timeout_ms) for the checks that are quick and
// local: a bad stream id, an unknown app or key, a stream already published, nothing live
// to play and a wrong passphrase are refused there with an SRT reject reason. The
// asynchronous authorizers (on_publish / on_play webhooks, signed playback URLs) cannot run
// inside a handshake, so they run on the loop once the connection is accepted; until they
// allow it, a publisher's bytes wait in its receive queue (nothing is demuxed) and a player
// gets nothing; a denial closes the connection.
//
// Threads: constructed, started and shut down on the loop thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "core/graveyard.h"
#include "core/loop_context.h"
#include "core/stream_hub.h"
#include "core/stream_hub_config.h"
#include "ingest/srt/loop_inbox.h"
#include "ingest/srt/srt_config.h"
#include "ingest/srt/srt_listener.h"
#include "ingest/srt/srt_session.h"

namespace tidecast::ingest::srt {

class SrtServer final : public core::Flushable {
 public:
  SrtServer(core::LoopContext& context, core::StreamHub& hub, SrtConfig settings);
  ~SrtServer() override;

  core::Status listen();
  uint16_t port() const { return listener_ ? listener_->port() : 0; }
  // Closes every session (publishers' streams stop) and stops the SRT thread.
  void shutdown();
  size_t sessionCount() const { return sessions_.size(); }

  // Used by sessions.
  core::LoopContext& context() { return context_; }
  core::StreamHub& hub() { return hub_; }
  const SrtConfig& settings() const { return settings_; }
  // Players' backlog and merged writes (the streams: section).
  const core::BacklogLimits& playerBacklog() const {
    return context_.config.get<core::StreamsConfig>().playerBacklog;
  }
  SrtListener& listener() { return *listener_; }
  // A player's outbox got bytes: wakes the SRT thread once, at the end of this loop turn.
  void requestSend();
  void flush() override;
  void release(SrtSession& session);

  core::Counter& packetsIn;
  core::Counter& bytesIn;
  core::Counter& bytesOut;
  core::Counter& packetsLost;
  core::Counter& packetsRetransmitted;
  core::Counter& packetsDropped;
  core::Counter& playersDropped;
  core::Counter& authDenied;

 private:
  struct HandshakeCheck;
  HandshakeVerdict checkHandshake(const StreamId& id, const std::string& peer);  // libsrt thread
  HandshakeVerdict decide(const StreamId& id) const;                             // loop
  void onRejected(int code, const std::string& peer, const std::string& why);    // libsrt thread
  SrtSession* find(uint64_t id);

  core::LoopContext& context_;
  core::StreamHub& hub_;
  SrtConfig settings_;
  std::unique_ptr<LoopInbox> inbox_;
  std::unique_ptr<SrtListener> listener_;
  std::unordered_map<uint64_t, std::unique_ptr<SrtSession>> sessions_;
  core::Graveyard<SrtSession> graveyard_;
  // Handshake checks waiting for the loop's answer (libsrt's thread waits on checkDone_).
  std::mutex checkMutex_;
  std::condition_variable checkDone_;
  bool down_ = false;
  bool sendRequested_ = false;
};

}  // namespace tidecast::ingest::srt
