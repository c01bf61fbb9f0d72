// One live stream ("app/key"): what its publisher sends, fanned out to every sink (RTMP and
// FLV players, the CMAF packager, transcode jobs). Keeps what a new viewer needs to start at
// once: the metadata, the decoder configurations and the GOP since the last keyframe.
// Loop thread only. Packets are shared (MediaPacketPtr); nothing here copies payload bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/media/audio_info.h"
#include "core/media/media_packet.h"
#include "core/media/video_info.h"

namespace tidecast::core {

// A consumer of a stream. The hub calls it synchronously on the loop; it must not block.
// A sink may remove itself (or be removed) from inside onPacket.
class StreamSink {
 public:
  virtual void onPacket(const media::MediaPacketPtr& packet) = 0;
  // The publisher is gone (or was kicked); no packet follows. The sink is already removed.
  virtual void onStreamEnd(std::string_view reason) = 0;
  // A viewer (counted in the players metrics) or an internal consumer (the CMAF packager, a
  // transcode job) that only serves viewers through other outputs.
  virtual bool isPlayer() const { return true; }

 protected:
  virtual ~StreamSink() = default;
};

// What the publisher sends, from its decoder configurations (zero/empty until they arrive).
struct StreamInfo {
  media::Codec videoCodec = media::Codec::kUnknown;
  media::VideoInfo video;
  media::Codec audioCodec = media::Codec::kUnknown;
  media::AudioInfo audio;
};

struct StreamStats {
  uint64_t packets = 0;
  uint64_t videoFrames = 0;
  uint64_t audioFrames = 0;
  uint64_t payloadBytes = 0;
  int64_t lastDts = 0;
  uint64_t lastPacketLoopMs = 0;  // loop clock, for the publisher timeout
  // Measured over the last completed window of about one second of media time.
  double videoFps = 0;
  uint64_t bitrateBps = 0;  // audio + video payload
};

class Stream {
 public:
  Stream(std::string name, uint64_t publisherSession, size_t maxGopCacheBytes);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  const std::string& name() const { return name_; }
  uint64_t publisherSession() const { return publisherSession_; }
  // The source stream ("app/key") when this is one of its transcoded renditions, else "".
  const std::string& renditionOf() const { return renditionOf_; }
  void setRenditionOf(std::string source) { renditionOf_ = std::move(source); }

  // From the publisher. `loopNowMs` stamps the stream for the publisher timeout.
  void push(const media::MediaPacketPtr& packet, uint64_t loopNowMs);

  // Restarts the publisher-timeout clock (at creation; push() does it for every packet).
  void touch(uint64_t loopNowMs) { stats_.lastPacketLoopMs = loopNowMs; }

  // Adds a sink and replays metadata, configurations and the cached GOP to it first.
  void addSink(StreamSink& sink);
  void removeSink(StreamSink& sink);
  size_t sinkCount() const;
  size_t playerCount() const;  // sinks that are viewers

  // Tells every sink the stream ended and forgets them.
  void end(std::string_view reason);

  const media::MediaPacketPtr& metadata() const { return metadata_; }
  const media::MediaPacketPtr& videoConfig() const { return videoConfig_; }
  const media::MediaPacketPtr& audioConfig() const { return audioConfig_; }
  const std::vector<media::MediaPacketPtr>& gop() const { return gop_; }
  const StreamStats& stats() const { return stats_; }
  const StreamInfo& info() const { return info_; }

 private:
  void cache(const media::MediaPacketPtr& packet);
  void fanOut(const media::MediaPacketPtr& packet);
  void updateInfo(const media::MediaPacket& config);
  void updateInfoFromFrame(const media::MediaPacket& frame);
  void measure(const media::MediaPacket& packet);

  std::string name_;
  std::string renditionOf_;
  uint64_t publisherSession_;
  size_t maxGopCacheBytes_;
  media::MediaPacketPtr metadata_;
  media::MediaPacketPtr videoConfig_;
  media::MediaPacketPtr audioConfig_;
  std::vector<media::MediaPacketPtr> gop_;
  size_t gopBytes_ = 0;
  bool gopOverflow_ = false;  // the GOP outgrew the cache: wait for the next keyframe
  std::vector<StreamSink*> sinks_;
  int delivering_ = 0;  // removal during fan-out leaves a hole, compacted afterwards
  StreamStats stats_;
  StreamInfo info_;
  int64_t windowStartDts_ = -1;
  uint64_t windowFrames_ = 0;
  uint64_t windowBytes_ = 0;
};

}  // namespace tidecast::core
