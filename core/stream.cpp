#include "core/stream.h"

#include <algorithm>

#include "core/media/codec_info.h"
#include "core/media/mpeg_audio.h"

namespace tidecast::core {

using media::MediaPacketPtr;
using media::TrackType;

Stream::Stream(std::string name, uint64_t publisherSession, size_t maxGopCacheBytes)
    : name_(std::move(name)),
      publisherSession_(publisherSession),
      maxGopCacheBytes_(maxGopCacheBytes) {}

Stream::~Stream() = default;

void Stream::push(const MediaPacketPtr& packet, uint64_t loopNowMs) {
  stats_.packets++;
  stats_.payloadBytes += packet->data.size();
  stats_.lastPacketLoopMs = loopNowMs;
  if (packet->config) {
    updateInfo(*packet);
  } else if (packet->track != TrackType::kData) {
    if (packet->track == TrackType::kAudio && packet->codec != info_.audioCodec) {
      updateInfoFromFrame(*packet);
    }
    (packet->track == TrackType::kVideo ? stats_.videoFrames : stats_.audioFrames)++;
    stats_.lastDts = packet->dts;
    measure(*packet);
  }
  cache(packet);
  fanOut(packet);
}

void Stream::cache(const MediaPacketPtr& packet) {
  if (packet->track == TrackType::kData) {
    metadata_ = packet;
    return;
  }
  if (packet->config) {
    (packet->track == TrackType::kVideo ? videoConfig_ : audioConfig_) = packet;
    return;
  }
  if (packet->track == TrackType::kVideo && packet->keyframe) {
    gop_.clear();
    gopBytes_ = 0;
    gopOverflow_ = false;
  }
  // Without video there is no keyframe to start from: audio-only streams cache nothing.
  if (gopOverflow_ || !videoConfig_ || (gop_.empty() && !packet->keyframe)) return;
  gopBytes_ += packet->data.size() + packet->flvHeader.size();
  if (gopBytes_ > maxGopCacheBytes_) {
    gop_.clear();
    gopBytes_ = 0;
    gopOverflow_ = true;
    return;
  }
  gop_.push_back(packet);
}

void Stream::updateInfo(const media::MediaPacket& config) {
  // A configuration the parsers cannot read still plays; only the reported details are lost.
  if (config.track == TrackType::kVideo) {
    info_.videoCodec = config.codec;
    auto video = media::videoInfoFromConfig(config);
    info_.video = video ? *video : media::VideoInfo{};
  } else if (config.track == TrackType::kAudio) {
    info_.audioCodec = config.codec;
    auto audio = media::audioInfoFromConfig(config);
    info_.audio = audio ? *audio : media::AudioInfo{};
  }
}

void Stream::updateInfoFromFrame(const media::MediaPacket& frame) {
  // MP2 and MP3 have no configuration packet: every frame's header describes the track.
  if (frame.codec != media::Codec::kMp2 && frame.codec != media::Codec::kMp3) return;
  auto header = media::parseMpegAudioHeader(frame.data.span());
  if (!header) return;
  info_.audioCodec = frame.codec;
  info_.audio = media::AudioInfo{};
  info_.audio.sampleRate = header->sampleRate;
  info_.audio.channels = header->channels;
}

void Stream::measure(const media::MediaPacket& packet) {
  constexpr int64_t kWindowMs = 1000;
  if (windowStartDts_ < 0 || packet.dts < windowStartDts_) {  // first packet, or a time jump
    windowStartDts_ = packet.dts;
    windowFrames_ = windowBytes_ = 0;
  }
  windowBytes_ += packet.data.size();
  if (packet.track == TrackType::kVideo) windowFrames_++;
  int64_t elapsed = packet.dts - windowStartDts_;
  if (elapsed < kWindowMs) return;
  stats_.videoFps = static_cast<double>(windowFrames_) * 1000.0 / static_cast<double>(elapsed);
  stats_.bitrateBps = windowBytes_ * 8000 / static_cast<uint64_t>(elapsed);
  windowStartDts_ = packet.dts;
  windowFrames_ = windowBytes_ = 0;
}

void Stream::fanOut(const MediaPacketPtr& packet) {
  ++delivering_;
  // Sinks added during delivery start with the cached state and get the next packet.
  size_t count = sinks_.size();
  for (size_t i = 0; i < count && i < sinks_.size(); ++i) {  // end() may empty sinks_
    if (StreamSink* sink = sinks_[i]) sink->onPacket(packet);
  }
  if (--delivering_ == 0) std::erase(sinks_, nullptr);
}

void Stream::addSink(StreamSink& sink) {
  sinks_.push_back(&sink);
  auto replay = [&](const MediaPacketPtr& packet) {
    // The sink may have removed itself (dropped) during the replay.
    if (packet && std::find(sinks_.begin(), sinks_.end(), &sink) != sinks_.end()) {
      sink.onPacket(packet);
    }
  };
  ++delivering_;
  replay(metadata_);
  replay(videoConfig_);
  replay(audioConfig_);
  for (const auto& packet : gop_) replay(packet);
  if (--delivering_ == 0) std::erase(sinks_, nullptr);
}

void Stream::removeSink(StreamSink& sink) {
  auto it = std::find(sinks_.begin(), sinks_.end(), &sink);
  if (it == sinks_.end()) return;
  if (delivering_ > 0) {
    *it = nullptr;
  } else {
    sinks_.erase(it);
  }
}

size_t Stream::sinkCount() const {
  return static_cast<size_t>(
      std::count_if(sinks_.begin(), sinks_.end(), [](StreamSink* s) { return s != nullptr; }));
}

size_t Stream::playerCount() const {
  return static_cast<size_t>(std::count_if(
      sinks_.begin(), sinks_.end(), [](StreamSink* s) { return s != nullptr && s->isPlayer(); }));
}

void Stream::end(std::string_view reason) {
  auto sinks = std::move(sinks_);
  sinks_.clear();
  for (StreamSink* sink : sinks) {
    if (sink) sink->onStreamEnd(reason);
  }
}

}  // namespace tidecast::core
