// The codec work of one transcode job: decode the source video once (libavcodec, H.264 or
// HEVC), scale once per rung (libswscale), encode each rung (libx264 through libavcodec), and
// turn what the encoders produce into MediaPackets (avcC configuration, length-prefixed
// access units) for the rendition streams. An IDR is forced on exactly the frames that were
// keyframes in the source, so every rendition cuts its segments at the same instants.
//
// Not thread-safe: a job's pipeline is used by one worker thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "core/media/media_packet.h"
#include "core/result.h"
#include "core/transcode/av_ptr.h"
#include "core/transcode/ladder.h"
#include "core/transcode/transcode_config.h"

namespace tidecast::core::transcode {

struct RungOutput {
  // The rendition's index in the ladder, or kEveryRung: a packet every rendition carries
  // (the AAC track transcoded once for all of them).
  static constexpr size_t kEveryRung = static_cast<size_t>(-1);
  size_t rung = 0;
  media::MediaPacketPtr packet;
};

class LadderPipeline {
 public:
  // `encoderThreads` 0 lets libx264 choose.
  LadderPipeline(std::vector<RenditionConfig> rungs, uint32_t encoderThreads);
  ~LadderPipeline();
  LadderPipeline(const LadderPipeline&) = delete;
  LadderPipeline& operator=(const LadderPipeline&) = delete;

  // One source video packet: a decoder configuration (avcC / hvcC) or a coded frame (times
  // in ms). What the rungs produce is appended to `out`: a configuration packet before a
  // rung's first frame (and after any size change), then frames. Errors are per packet
  // (transcode.decode, transcode.encode, transcode.unsupported); the pipeline goes on with the
  // next keyframe.
  Status push(const media::MediaPacket& packet, std::vector<RungOutput>& out);
  // The source ended: drains the decoder and encoders.
  void flush(std::vector<RungOutput>& out);

  size_t rungCount() const { return rungs_.size(); }
  // The rung's output size (zero before the first decoded frame).
  FrameSize outputSize(size_t rung) const;

 private:
  struct Rung;
  Status openDecoder(const media::MediaPacket& config);
  Status decode(const AVPacket* packet, std::vector<RungOutput>& out);
  Status encodeFrame(AVFrame* frame, std::vector<RungOutput>& out);
  Status openEncoder(Rung& rung, const AVFrame& frame);
  Status drainEncoder(size_t index, std::vector<RungOutput>& out);

  std::vector<std::unique_ptr<Rung>> rungs_;
  uint32_t encoderThreads_;
  media::Codec codec_ = media::Codec::kUnknown;
  std::string sourceConfig_;  // the decoder configuration in use
  CodecContextPtr decoder_;
  FramePtr decoded_;
  PacketPtr packet_;
  double sourceFps_ = 0;
  std::deque<int64_t> keyframePts_;  // source keyframes sent to the decoder, not yet out
  bool awaitKeyframe_ = true;        // after an error or a new configuration
};

}  // namespace tidecast::core::transcode
