// The audio of a transcoded stream whose source audio is not AAC (Opus from SRT or Enhanced
// RTMP, MP2 from SRT, MP3 from RTMP or SRT): decoded once (libavcodec), regrouped into 1024-sample
// frames (AVAudioFifo) and encoded to AAC-LC with FFmpeg's native `aac` encoder, for every
// rendition (one encode per job, whatever the number of rungs). AAC sources are not transcoded:
// their track is the variants' audio as it is (needsTranscode()).
//
// Timestamps: the output follows the source's timeline. The samples entering the FIFO carry
// the decoded frames' times; an AAC packet's time is its encoder pts, which the encoder
// already moves back by its priming delay (1024 samples), so a decoder playing the priming
// packet first puts every sample back at its source time (A/V sync kept). Packets before 0
// (the priming of a stream starting at 0) are left out. A jump in the source's timestamps
// larger than kMaxAudioDriftMs re-anchors the timeline; smaller jitter is absorbed by counting
// samples.
//
// Not thread-safe: used by one worker thread at a time (the job's).
#pragma once

extern "C" {
#include <libavutil/audio_fifo.h>
}

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/media/media_packet.h"
#include "core/result.h"
#include "core/transcode/av_ptr.h"

namespace tidecast::core::transcode {

// Source timestamps further than this from the samples counted re-anchor the output.
inline constexpr int64_t kMaxAudioDriftMs = 200;

class AudioTranscoder {
 public:
  explicit AudioTranscoder(uint32_t bitrate);
  ~AudioTranscoder();
  AudioTranscoder(const AudioTranscoder&) = delete;
  AudioTranscoder& operator=(const AudioTranscoder&) = delete;

  // Audio the renditions get transcoded (anything but AAC).
  static bool needsTranscode(media::Codec codec) {
    return codec != media::Codec::kAac && codec != media::Codec::kUnknown;
  }

  // One source audio packet: a configuration (OpusHead) or a coded frame (ms). The AAC
  // packets ready are appended to `out`: an AudioSpecificConfig first (and after any change
  // of sample rate or channels), then raw AAC frames. Errors per packet: transcode.decode,
  // transcode.encode, transcode.unsupported; the next packet starts afresh.
  Status push(const media::MediaPacket& packet, std::vector<media::MediaPacketPtr>& out);
  // The source ended: drains the decoder, the FIFO (a short last frame) and the encoder.
  void flush(std::vector<media::MediaPacketPtr>& out);

  // Samples per second and channels of the AAC output (0 before the first decoded frame).
  int sampleRate() const;
  int channels() const;

 private:
  struct FifoDeleter {
    void operator()(AVAudioFifo* f) const { av_audio_fifo_free(f); }
  };

  Status openDecoder(media::Codec codec);
  Status decode(const AVPacket* packet, std::vector<media::MediaPacketPtr>& out);
  Status addFrame(const AVFrame& frame, std::vector<media::MediaPacketPtr>& out);
  Status openEncoder(const AVFrame& frame, std::vector<media::MediaPacketPtr>& out);
  // Encodes what the FIFO holds in whole frames (all of it when `final`).
  Status encodeFifo(bool final, std::vector<media::MediaPacketPtr>& out);
  Status drainEncoder(std::vector<media::MediaPacketPtr>& out);
  void closeEncoder(std::vector<media::MediaPacketPtr>& out);

  const uint32_t bitrate_;
  media::Codec codec_ = media::Codec::kUnknown;  // of the open decoder
  std::string config_;                           // the source's configuration (OpusHead)
  CodecContextPtr decoder_;
  CodecContextPtr encoder_;
  std::unique_ptr<AVAudioFifo, FifoDeleter> fifo_;
  FramePtr decoded_;
  FramePtr chunk_;
  PacketPtr packet_;
  std::vector<std::vector<float>> planes_;
  int64_t fifoEnd_ = 0;  // pts (encoder time base, samples) right after the FIFO's last sample
  bool anchored_ = false;
};

}  // namespace tidecast::core::transcode
