// One RTMP connection, server side: handshake, chunk streams, NetConnection/NetStream
// commands, and then either publishing (audio/video/data messages → MediaPackets → the hub)
// or playing (a StreamSink whose packets go out as chunked messages). Loop thread only.
//
// Hostile input (a bad handshake, a chunk or message over the limits, a command flood,
// undecodable AMF) closes this connection with a logged reason; nothing else is affected.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/backlog_policy.h"
#include "core/stream_hub.h"
#include "core/tcp.h"
#include "ingest/rtmp/amf0.h"
#include "ingest/rtmp/chunk_reader.h"
#include "ingest/rtmp/chunk_writer.h"
#include "ingest/rtmp/handshake.h"

namespace tidecast::ingest::rtmp {

class RtmpServer;

class RtmpSession final : public core::StreamSink {
 public:
  RtmpSession(RtmpServer& server, std::unique_ptr<core::TcpStream> stream, uint64_t id);
  ~RtmpSession() override;

  void start();
  // Closes now: leaves the stream (publisher: the stream stops), frees the connection.
  void close(std::string_view reason);
  uint64_t id() const { return id_; }

  // StreamSink (playing).
  void onPacket(const core::media::MediaPacketPtr& packet) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  void onData(std::string_view bytes);
  void onMessage(RtmpMessage&& message);
  void onControl(const RtmpMessage& message);
  void onCommand(const RtmpMessage& message);
  void onDataMessage(const RtmpMessage& message);
  void onMedia(const RtmpMessage& message);
  void acknowledge();

  void handleConnect(double txId, const AmfValue* commandObject);
  void handleCreateStream(double txId);
  void handleFCPublish();
  // onFCPublish NetStream.Publish.Start, once, if FCPublish was asked; only while publishing.
  void sendFCPublishStart();
  void handlePublish(double txId, uint32_t streamId, const std::vector<AmfValue>& args);
  void handlePlay(double txId, uint32_t streamId, const std::vector<AmfValue>& args);
  // After the hub's access authorizers answered (see StreamHub::authorize).
  void startPublishing(uint32_t streamId, const std::string& key);
  void refusePublish(uint32_t streamId, const std::string& key, const core::Error& error);
  void startPlaying(uint32_t streamId, const std::string& key);
  // Asks the hub's authorizers; `then` runs unless this session closed or stopped meanwhile.
  // Drops the answer of an authorization in flight; true if there was one.
  bool cancelAuthorization();
  void authorize(core::AccessRequest::Kind kind, std::string key, std::string query,
                 std::function<void(core::Result<std::string>)> then);
  void handleStop(std::string_view command);

  void sendControl(uint8_t typeId, core::Slice payload);
  void sendCommand(uint32_t streamId, const std::string& amf);
  void sendResult(double txId, const AmfValue& properties, const AmfValue& info);
  void sendStatus(uint32_t streamId, std::string_view level, std::string_view code,
                  std::string_view description);
  void write(const core::SliceList& bytes);
  // Sends what is queued, then closes (after an error status the client should read).
  void closeAfterFlush(std::string_view reason);
  void fail(const core::Error& error);
  std::string describePeer() const;

  RtmpServer& server_;
  std::unique_ptr<core::TcpStream> stream_;
  uint64_t id_;
  Handshake handshake_;
  ChunkReader reader_;
  ChunkWriter writer_;
  core::Timer timer_;
  core::BacklogPolicy backlog_;

  std::string app_;
  core::SessionRecord* record_ = nullptr;  // opened by publish or play
  core::Stream* publishing_ = nullptr;
  core::Stream* playing_ = nullptr;
  uint32_t playStreamId_ = 0;
  uint32_t nextStreamId_ = 1;
  uint32_t peerWindowAck_ = 0;  // the peer's Window Acknowledgement Size (0: never ack)
  uint64_t lastAckAt_ = 0;      // bytes received when we last acknowledged
  uint64_t commandWindowMs_ = 0;
  uint32_t commandsInWindow_ = 0;
  bool connected_ = false;
  bool fcPublishAsked_ = false;  // FCPublish awaits its onFCPublish (sent once publishing)
  bool authorizing_ = false;     // a publish or play waits for the hub's authorizers
  std::shared_ptr<int> authGuard_ = std::make_shared<int>(0);  // reset: drop pending answers
  bool closing_ = false;
  bool closed_ = false;
  bool skippedTrack_ = false;  // playing: a track RTMP cannot carry was left out (logged)
};

}  // namespace tidecast::ingest::rtmp
