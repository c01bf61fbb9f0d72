// A synthetic audio source for the audio transcode tests: libopus (48 kHz, 20 ms frames),
// libmp3lame (44.1 kHz, 1152-sample frames) or FFmpeg's mp2 (48 kHz, 1152-sample frames)
// through libavcodec encodes a 440 Hz stereo tone and hands out the MediaPackets an SRT or
// RTMP publisher would produce (Opus: an OpusHead configuration first; MP3, MP2: none), with
// millisecond times starting at `startMs`.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
}

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <numbers>
#include <vector>

#include "core/media/flv_tag.h"
#include "core/media/media_packet.h"
#include "core/transcode/av_ptr.h"

namespace tidecast::core::transcode::testing {

class ToneSource {
 public:
  static constexpr double kToneHz = 440;
  static constexpr float kAmplitude = 0.5f;

  static ToneSource opus(int64_t startMs = 1000) {
    return ToneSource("libopus", media::Codec::kOpus, 48000, startMs);
  }
  static ToneSource mp3(int64_t startMs = 1000) {
    return ToneSource("libmp3lame", media::Codec::kMp3, 44100, startMs);
  }
  static ToneSource mp2(int64_t startMs = 1000) {
    return ToneSource("mp2", media::Codec::kMp2, 48000, startMs);
  }

  ToneSource(const char* encoder, media::Codec mediaCodec, int rate, int64_t startMs)
      : codec_(mediaCodec),
        rate_(rate),
        startMs_(startMs),
        frame_(av_frame_alloc()),
        packet_(av_packet_alloc()) {
    const AVCodec* codec = avcodec_find_encoder_by_name(encoder);
    EXPECT_NE(codec, nullptr) << "libavcodec without " << encoder;
    context_.reset(avcodec_alloc_context3(codec));
    context_->sample_rate = rate;
    // Interleaved float for libopus, planar float for libmp3lame, 16-bit for mp2.
    context_->sample_fmt = AV_SAMPLE_FMT_FLTP;
    for (const AVSampleFormat* f = codec->sample_fmts; f && *f != AV_SAMPLE_FMT_NONE; ++f) {
      if (*f == AV_SAMPLE_FMT_FLT) context_->sample_fmt = AV_SAMPLE_FMT_FLT;
      if (*f == AV_SAMPLE_FMT_S16 && codec->sample_fmts[1] == AV_SAMPLE_FMT_NONE) {
        context_->sample_fmt = AV_SAMPLE_FMT_S16;  // the only one it takes
      }
    }
    av_channel_layout_default(&context_->ch_layout, 2);
    context_->bit_rate = 96000;
    context_->time_base = AVRational{1, rate};
    EXPECT_GE(avcodec_open2(context_.get(), codec, nullptr), 0);
    frame_->format = context_->sample_fmt;
    frame_->nb_samples = context_->frame_size;
    frame_->sample_rate = rate;
    av_channel_layout_copy(&frame_->ch_layout, &context_->ch_layout);
    EXPECT_GE(av_frame_get_buffer(frame_.get(), 0), 0);
  }

  // The OpusHead configuration packet (the encoder's extradata).
  media::MediaPacketPtr config() const {
    auto packet = std::make_shared<media::MediaPacket>();
    packet->track = media::TrackType::kAudio;
    packet->codec = codec_;
    packet->config = true;
    packet->dts = startMs_;
    packet->data =
        Slice::copyOf(context_->extradata, static_cast<size_t>(context_->extradata_size));
    packet->flvHeader = media::makeFlvHeader(*packet);
    return packet;
  }

  int64_t samplesIn() const { return next_; }
  int rate() const { return rate_; }

  // Encodes `frames` more frames of the tone (the encoder's frame size).
  std::vector<media::MediaPacketPtr> encode(int frames) {
    std::vector<media::MediaPacketPtr> out;
    for (int i = 0; i < frames; ++i) {
      EXPECT_GE(av_frame_make_writable(frame_.get()), 0);
      const int n = frame_->nb_samples;
      for (int s = 0; s < n; ++s) {
        float v = kAmplitude * static_cast<float>(std::sin(2 * std::numbers::pi * kToneHz *
                                                           static_cast<double>(next_ + s) / rate_));
        if (frame_->format == AV_SAMPLE_FMT_FLT) {
          auto* samples = reinterpret_cast<float*>(frame_->data[0]);
          samples[2 * s] = samples[2 * s + 1] = v;
        } else if (frame_->format == AV_SAMPLE_FMT_S16) {
          auto* samples = reinterpret_cast<int16_t*>(frame_->data[0]);
          samples[2 * s] = samples[2 * s + 1] = static_cast<int16_t>(std::lround(v * 32767));
        } else {  // fltp
          reinterpret_cast<float*>(frame_->data[0])[s] = v;
          reinterpret_cast<float*>(frame_->data[1])[s] = v;
        }
      }
      frame_->pts = next_;
      next_ += n;
      EXPECT_GE(avcodec_send_frame(context_.get(), frame_.get()), 0);
      drain(out);
    }
    return out;
  }

  // Jumps the source's timeline (a publisher's clock jump) by `ms`.
  void jump(int64_t ms) { startMs_ += ms; }

 private:
  void drain(std::vector<media::MediaPacketPtr>& out) {
    while (avcodec_receive_packet(context_.get(), packet_.get()) == 0) {
      auto packet = std::make_shared<media::MediaPacket>();
      packet->track = media::TrackType::kAudio;
      packet->codec = codec_;
      packet->dts = startMs_ + av_rescale(packet_->pts, 1000, rate_);
      packet->data = Slice::copyOf(packet_->data, static_cast<size_t>(packet_->size));
      packet->flvHeader = media::makeFlvHeader(*packet);
      out.push_back(packet);
      av_packet_unref(packet_.get());
    }
  }

  media::Codec codec_;
  int rate_;
  int64_t startMs_;
  int64_t next_ = 0;
  CodecContextPtr context_;
  FramePtr frame_;
  PacketPtr packet_;
};

}  // namespace tidecast::core::transcode::testing
