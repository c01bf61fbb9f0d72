#include "ingest/rtmp/rtmp_server.h"

namespace tidecast::ingest::rtmp {

namespace {
constexpr int kListenBacklog = 512;
constexpr uint32_t kAudioChunkStream = 4;
constexpr uint32_t kDataChunkStream = 5;
constexpr uint32_t kVideoChunkStream = 6;
}  // namespace

RtmpServer::RtmpServer(core::LoopContext& context, core::StreamHub& hub, RtmpConfig settings)
    : bytesIn(context.metrics.counter("tidecast_ingest_rtmp_received_bytes_total",
                                      "Bytes received on RTMP connections")),
      bytesOut(context.metrics.counter("tidecast_ingest_rtmp_sent_bytes_total",
                                       "Bytes queued for sending on RTMP connections")),
      payloadBytesAllocated(context.metrics.counter(
          "tidecast_ingest_rtmp_payload_allocated_bytes_total",
          "Media payload bytes allocated at RTMP ingest (each is allocated once, then shared)")),
      mediaMessages(context.metrics.counter("tidecast_ingest_rtmp_media_messages_total",
                                            "Audio, video and data messages received")),
      context_(context),
      hub_(hub),
      settings_(std::move(settings)),
      playWriter_(settings_.outChunkSize),
      graveyard_(context.loop) {
  context.metrics.gaugeCallback("tidecast_ingest_rtmp_connections", "Open RTMP connections",
                                [this] { return static_cast<double>(sessions_.size()); });
}

RtmpServer::~RtmpServer() { shutdown(); }

core::Status RtmpServer::listen() {
  listener_ = std::make_unique<core::TcpListener>(context_.loop);
  return listener_->listen(settings_.listen, settings_.port, kListenBacklog,
                           [this](std::unique_ptr<core::TcpStream> s) { accept(std::move(s)); });
}

core::Status RtmpServer::listenTls(const std::string& host, uint16_t port,
                                   std::shared_ptr<core::TlsAcceptor> tls) {
  tlsListener_ = std::make_unique<core::TcpListener>(context_.loop);
  tlsListener_->setTls(std::move(tls));
  return tlsListener_->listen(host, port, kListenBacklog,
                              [this](std::unique_ptr<core::TcpStream> s) { accept(std::move(s)); });
}

void RtmpServer::accept(std::unique_ptr<core::TcpStream> stream) {
  if (sessions_.size() >= settings_.maxConnections) {
    countError("rtmp.too_many_connections");
    context_.log.warn("rtmp.refuse peer={} reason=\"connection limit {} reached\"",
                      stream->peer().ip, settings_.maxConnections);
    return;  // the stream closes as it goes out of scope
  }
  uint64_t id = nextId_++;
  auto session = std::make_unique<RtmpSession>(*this, std::move(stream), id);
  RtmpSession& ref = *session;
  sessions_.emplace(id, std::move(session));
  ref.start();
}

void RtmpServer::shutdown() {
  if (listener_) listener_->close();
  if (tlsListener_) tlsListener_->close();
  std::vector<RtmpSession*> open;
  for (auto& [id, session] : sessions_) open.push_back(session.get());
  for (auto* session : open) session->close("server stopping");
}

void RtmpServer::release(RtmpSession& session) {
  auto it = sessions_.find(session.id());
  if (it == sessions_.end()) return;
  graveyard_.bury(std::move(it->second));
  sessions_.erase(it);
}

const core::SliceList& RtmpServer::chunked(const core::media::MediaPacketPtr& packet,
                                           uint32_t streamId) {
  if (cachedPacket_ == packet && cachedStreamId_ == streamId) return cachedChunks_;
  using core::media::TrackType;
  uint8_t type = kMsgVideo;
  uint32_t csid = kVideoChunkStream;
  if (packet->track == TrackType::kAudio) {
    type = kMsgAudio;
    csid = kAudioChunkStream;
  } else if (packet->track == TrackType::kData) {
    type = kMsgAmf0Data;
    csid = kDataChunkStream;
  }
  core::SliceList payload;
  if (!packet->flvHeader.empty()) payload.push_back(packet->flvHeader);
  if (!packet->data.empty()) payload.push_back(packet->data);
  cachedChunks_.clear();
  playWriter_.writeMessage(csid, type, streamId, static_cast<uint32_t>(packet->dts), payload,
                           cachedChunks_);
  cachedPacket_ = packet;
  cachedStreamId_ = streamId;
  return cachedChunks_;
}

void RtmpServer::countError(std::string_view code) {
  context_.metrics
      .counter("tidecast_ingest_rtmp_errors_total", "RTMP connections closed for an error",
               {{"code", std::string(code)}})
      .inc();
}

}  // namespace tidecast::ingest::rtmp
