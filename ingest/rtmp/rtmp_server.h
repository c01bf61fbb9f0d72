// The RTMP listener of one loop: accepts connections into RtmpSessions, applies the
// connection limit, keeps the RTMP metrics, and chunks each played packet once for every
// player (all players share one outgoing chunk size, so the chunked bytes are identical).
// Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "core/graveyard.h"
#include "core/loop_context.h"
#include "core/stream_hub.h"
#include "core/stream_hub_config.h"
#include "core/tcp.h"
#include "core/tls_context.h"
#include "ingest/rtmp/rtmp_config.h"
#include "ingest/rtmp/rtmp_session.h"

namespace tidecast::ingest::rtmp {

class RtmpServer {
 public:
  RtmpServer(core::LoopContext& context, core::StreamHub& hub, RtmpConfig settings);
  ~RtmpServer();

  core::Status listen();
  uint16_t port() const { return listener_ ? listener_->boundPort() : 0; }
  // An RTMPS listener: the same sessions over TLS (core/tcp.h), with or without listen().
  core::Status listenTls(const std::string& host, uint16_t port,
                         std::shared_ptr<core::TlsAcceptor> tls);
  uint16_t tlsPort() const { return tlsListener_ ? tlsListener_->boundPort() : 0; }
  // Stops accepting and closes every session (publishers' streams stop).
  void shutdown();
  size_t sessionCount() const { return sessions_.size(); }

  // Used by sessions.
  core::LoopContext& context() { return context_; }
  core::StreamHub& hub() { return hub_; }
  const RtmpConfig& settings() const { return settings_; }
  // Players' backlog and merged writes (the streams: section).
  const core::BacklogLimits& playerBacklog() const {
    return context_.config.get<core::StreamsConfig>().playerBacklog;
  }
  void release(RtmpSession& session);
  // The packet as chunks for message stream `streamId`, built once and shared.
  const core::SliceList& chunked(const core::media::MediaPacketPtr& packet, uint32_t streamId);
  void countError(std::string_view code);

  core::Counter& bytesIn;
  core::Counter& bytesOut;
  core::Counter& payloadBytesAllocated;
  core::Counter& mediaMessages;

 private:
  void accept(std::unique_ptr<core::TcpStream> stream);

  core::LoopContext& context_;
  core::StreamHub& hub_;
  RtmpConfig settings_;
  ChunkWriter playWriter_;
  std::unique_ptr<core::TcpListener> listener_;
  std::unique_ptr<core::TcpListener> tlsListener_;
  std::unordered_map<uint64_t, std::unique_ptr<RtmpSession>> sessions_;
  core::Graveyard<RtmpSession> graveyard_;
  uint64_t nextId_ = 1;
  // One-entry framing cache: during a fan-out every player asks for the same packet.
  core::media::MediaPacketPtr cachedPacket_;
  uint32_t cachedStreamId_ = 0;
  core::SliceList cachedChunks_;
};

}  // namespace tidecast::ingest::rtmp
