// One SRT connection as the loop sees it: a publisher (m=publish, packets from its demux
// thread go into the hub) or a player (m=request, a StreamSink whose packets are muxed into
// MPEG-TS for the SRT thread to send). Owns the session record (with the link statistics),
// runs the hub's access authorizers (webhooks) after the handshake accepted the connection,
// and tells the SRT side to start demuxing or to close. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/backlog_policy.h"
#include "core/stream_hub.h"
#include "ingest/srt/srt_listener.h"
#include "ingest/srt/ts_muxer.h"

namespace tidecast::ingest::srt {

class SrtServer;

class SrtSession final : public core::StreamSink {
 public:
  SrtSession(SrtServer& server, ConnectionInfo info);
  ~SrtSession() override;

  void start();
  uint64_t id() const { return info_.id; }
  // From the demux thread, through the loop queue.
  void onPublishedPacket(const core::media::MediaPacketPtr& packet);
  void onStats(const ConnectionStats& stats);
  // Ends the session; `tellListener` closes the SRT connection too (it is not already gone).
  void close(std::string_view reason, bool tellListener);

  // StreamSink (players).
  void onPacket(const core::media::MediaPacketPtr& packet) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  void authorized(core::Result<std::string> key);
  void refuse(const core::Error& error);
  void startPublishing(const std::string& key);
  void startPlaying(const std::string& key);
  void registerRttMetric();

  SrtServer& server_;
  ConnectionInfo info_;
  core::SessionRecord* record_ = nullptr;
  core::Stream* publishing_ = nullptr;
  core::Stream* playing_ = nullptr;
  bool joined_ = false;  // subscribed (player.joined announced)
  std::unique_ptr<TsMuxer> muxer_;
  core::BacklogPolicy backlog_;
  bool authorizing_ = false;
  std::shared_ptr<int> authGuard_ = std::make_shared<int>(0);
  bool closed_ = false;
  core::LinkStats lastLink_;
  uint64_t lastBytesIn_ = 0;
  uint64_t lastBytesOut_ = 0;
  core::Labels rttLabels_;
};

}  // namespace tidecast::ingest::srt
