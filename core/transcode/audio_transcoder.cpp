#include "core/transcode/audio_transcoder.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
}

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "core/media/aac.h"
#include "core/media/flv_tag.h"
#include "core/transcode/planar_float.h"

namespace tidecast::core::transcode {

namespace {

constexpr AVRational kMs{1, 1000};
constexpr uint8_t kAacLowObjectType = 2;
constexpr uint8_t kAacSampleRateIndexCount = 13;
// The channel counts the native encoder takes (its default layouts) and their MPEG-4
// channel configuration.
constexpr int kMaxAacChannels = 8;

Error codecError(std::string code, std::string_view what, int err) {
  return makeError(std::move(code), std::string(what) + ": " + avError(err));
}

// The AudioSpecificConfig sampling frequency index of `rate`, or none.
std::optional<uint8_t> sampleRateIndex(int rate) {
  for (uint8_t i = 0; i < kAacSampleRateIndexCount; ++i) {
    if (static_cast<int>(media::aacSampleRateFromIndex(i)) == rate) return i;
  }
  return std::nullopt;
}

// MPEG-4 channel configuration for a channel count (1-6 as they are, 8 is 7.1: 7).
std::optional<uint8_t> channelConfig(int channels) {
  if (channels >= 1 && channels <= 6) return static_cast<uint8_t>(channels);
  if (channels == kMaxAacChannels) return 7;
  return std::nullopt;
}

media::MediaPacketPtr aacPacket(int64_t dtsMs, bool config, const uint8_t* data, size_t size) {
  auto packet = std::make_shared<media::MediaPacket>();
  packet->track = media::TrackType::kAudio;
  packet->codec = media::Codec::kAac;
  packet->dts = dtsMs;
  packet->config = config;
  packet->data = Slice::copyOf(data, size);
  packet->flvHeader = media::makeFlvHeader(*packet);
  return packet;
}

}  // namespace

AudioTranscoder::AudioTranscoder(uint32_t bitrate)
    : bitrate_(bitrate),
      decoded_(av_frame_alloc()),
      chunk_(av_frame_alloc()),
      packet_(av_packet_alloc()) {}

AudioTranscoder::~AudioTranscoder() = default;

int AudioTranscoder::sampleRate() const { return encoder_ ? encoder_->sample_rate : 0; }
int AudioTranscoder::channels() const { return encoder_ ? encoder_->ch_layout.nb_channels : 0; }

Status AudioTranscoder::openDecoder(media::Codec codec) {
  // The float decoders: their planar float output goes to the AAC encoder unconverted.
  const char* name = codec == media::Codec::kOpus  ? "opus"
                     : codec == media::Codec::kMp3 ? "mp3float"
                     : codec == media::Codec::kMp2 ? "mp2float"
                                                   : nullptr;
  const AVCodec* decoder = name != nullptr ? avcodec_find_decoder_by_name(name) : nullptr;
  if (decoder == nullptr) {
    return makeError("transcode.unsupported",
                     "cannot transcode " + std::string(media::codecName(codec)) + " audio");
  }
  CodecContextPtr context(avcodec_alloc_context3(decoder));
  if (codec == media::Codec::kOpus && !config_.empty()) {
    const size_t size = config_.size();
    context->extradata = static_cast<uint8_t*>(av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE));
    if (context->extradata == nullptr) return makeError("transcode.decode", "out of memory");
    std::copy_n(config_.data(), size, context->extradata);
    context->extradata_size = static_cast<int>(size);
  } else if (codec == media::Codec::kOpus) {
    // No OpusHead: what the packager assumes too, 48 kHz stereo.
    av_channel_layout_default(&context->ch_layout, 2);
    context->sample_rate = 48000;
  }
  context->pkt_timebase = kMs;
  context->thread_count = 1;
  if (int err = avcodec_open2(context.get(), decoder, nullptr); err < 0) {
    return codecError("transcode.decode", "cannot open the audio decoder", err);
  }
  decoder_ = std::move(context);
  codec_ = codec;
  return {};
}

Status AudioTranscoder::push(const media::MediaPacket& packet,
                             std::vector<media::MediaPacketPtr>& out) {
  if (packet.track != media::TrackType::kAudio || packet.endOfSequence) return {};
  if (!needsTranscode(packet.codec)) return {};
  if (packet.config) {
    if (packet.data.view() == config_ && (!decoder_ || codec_ == packet.codec)) return {};
    if (decoder_) {
      (void)decode(nullptr, out);  // what the old parameters still hold
      decoder_.reset();
    }
    config_ = std::string(packet.data.view());
    return {};
  }
  if (packet.data.empty()) return {};
  if (decoder_ && codec_ != packet.codec) {
    (void)decode(nullptr, out);
    decoder_.reset();
  }
  if (!decoder_) {
    if (Status s = openDecoder(packet.codec); !s) return s;
  }
  av_packet_unref(packet_.get());
  if (int err = av_new_packet(packet_.get(), static_cast<int>(packet.data.size())); err < 0) {
    return codecError("transcode.decode", "cannot allocate a packet", err);
  }
  std::copy_n(packet.data.data(), packet.data.size(), packet_->data);
  packet_->pts = packet.dts + packet.cts;
  packet_->dts = packet.dts;
  return decode(packet_.get(), out);
}

Status AudioTranscoder::decode(const AVPacket* packet, std::vector<media::MediaPacketPtr>& out) {
  int err = avcodec_send_packet(decoder_.get(), packet);
  if (err < 0 && err != AVERROR_EOF) {
    return codecError("transcode.decode", "the audio decoder refused a frame", err);
  }
  while (true) {
    err = avcodec_receive_frame(decoder_.get(), decoded_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return {};
    if (err < 0) return codecError("transcode.decode", "cannot decode audio", err);
    Status status = addFrame(*decoded_, out);
    av_frame_unref(decoded_.get());
    if (!status) return status;
  }
}

Status AudioTranscoder::openEncoder(const AVFrame& frame, std::vector<media::MediaPacketPtr>& out) {
  const int channels = frame.ch_layout.nb_channels;
  auto rateIndex = sampleRateIndex(frame.sample_rate);
  auto chanConfig = channelConfig(channels);
  if (!rateIndex || !chanConfig || !planarFloatSupported(frame.format)) {
    return makeError("transcode.unsupported", "no AAC for " + std::to_string(frame.sample_rate) +
                                                  " Hz, " + std::to_string(channels) +
                                                  " channels, sample format " +
                                                  std::to_string(frame.format));
  }
  const AVCodec* codec = avcodec_find_encoder_by_name("aac");
  if (codec == nullptr) return makeError("transcode.unsupported", "libavcodec has no aac encoder");
  CodecContextPtr context(avcodec_alloc_context3(codec));
  context->sample_fmt = AV_SAMPLE_FMT_FLTP;
  context->sample_rate = frame.sample_rate;
  av_channel_layout_default(&context->ch_layout, channels);
  context->bit_rate = bitrate_;
  context->profile = FF_PROFILE_AAC_LOW;
  context->time_base = AVRational{1, frame.sample_rate};
  context->thread_count = 1;
  if (int err = avcodec_open2(context.get(), codec, nullptr); err < 0) {
    return codecError("transcode.encode", "cannot open the aac encoder", err);
  }
  fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, channels, context->frame_size * 2));
  if (!fifo_) return makeError("transcode.encode", "cannot allocate the audio FIFO");
  chunk_.reset(av_frame_alloc());
  chunk_->format = AV_SAMPLE_FMT_FLTP;
  chunk_->sample_rate = frame.sample_rate;
  chunk_->nb_samples = context->frame_size;
  if (int err = av_channel_layout_copy(&chunk_->ch_layout, &context->ch_layout); err < 0) {
    return codecError("transcode.encode", "cannot set the channel layout", err);
  }
  if (int err = av_frame_get_buffer(chunk_.get(), 0); err < 0) {
    return codecError("transcode.encode", "cannot allocate an audio frame", err);
  }
  auto asc = media::buildAudioSpecificConfig(kAacLowObjectType, *rateIndex, *chanConfig);
  if (!asc) return asc.error();
  int64_t pts =
      frame.best_effort_timestamp != AV_NOPTS_VALUE ? frame.best_effort_timestamp : frame.pts;
  out.push_back(aacPacket(std::max<int64_t>(pts == AV_NOPTS_VALUE ? 0 : pts, 0), true, asc->data(),
                          asc->size()));
  encoder_ = std::move(context);
  anchored_ = false;
  return {};
}

Status AudioTranscoder::addFrame(const AVFrame& frame, std::vector<media::MediaPacketPtr>& out) {
  if (frame.nb_samples <= 0) return {};
  if (encoder_ && (encoder_->sample_rate != frame.sample_rate ||
                   encoder_->ch_layout.nb_channels != frame.ch_layout.nb_channels)) {
    closeEncoder(out);  // new parameters: a new encoder and configuration
  }
  if (!encoder_) {
    if (Status s = openEncoder(frame, out); !s) return s;
  }
  const int rate = encoder_->sample_rate;
  int64_t ms =
      frame.best_effort_timestamp != AV_NOPTS_VALUE ? frame.best_effort_timestamp : frame.pts;
  if (ms != AV_NOPTS_VALUE) {
    int64_t pts = av_rescale_q(ms, kMs, encoder_->time_base);
    int64_t drift = av_rescale(std::llabs(pts - fifoEnd_), 1000, rate);
    if (!anchored_ || drift > kMaxAudioDriftMs) {
      fifoEnd_ = pts;  // the start, or a jump in the source's timeline
      anchored_ = true;
    }
  }
  anchored_ = true;
  int written = 0;
  if (frame.format == AV_SAMPLE_FMT_FLTP) {
    written = av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(frame.extended_data),
                                  frame.nb_samples);
  } else {
    toPlanarFloat(frame, planes_);
    std::vector<void*> data;
    for (auto& plane : planes_) data.push_back(plane.data());
    written = av_audio_fifo_write(fifo_.get(), data.data(), frame.nb_samples);
  }
  if (written < 0) return codecError("transcode.encode", "cannot queue samples", written);
  fifoEnd_ += written;
  return encodeFifo(false, out);
}

Status AudioTranscoder::encodeFifo(bool final, std::vector<media::MediaPacketPtr>& out) {
  const int frameSize = encoder_->frame_size;
  while (true) {
    int queued = av_audio_fifo_size(fifo_.get());
    if (queued == 0 || (queued < frameSize && !final)) return {};
    int samples = std::min(queued, frameSize);
    chunk_->nb_samples = frameSize;
    if (int err = av_frame_make_writable(chunk_.get()); err < 0) {
      return codecError("transcode.encode", "cannot reuse the audio frame", err);
    }
    chunk_->nb_samples = samples;  // the last one may be short (the encoder pads it)
    chunk_->pts = fifoEnd_ - queued;
    if (int err = av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(chunk_->data), samples);
        err < samples) {
      return makeError("transcode.encode", "the audio FIFO gave fewer samples than it holds");
    }
    if (int err = avcodec_send_frame(encoder_.get(), chunk_.get()); err < 0) {
      return codecError("transcode.encode", "the aac encoder refused a frame", err);
    }
    if (Status s = drainEncoder(out); !s) return s;
  }
}

Status AudioTranscoder::drainEncoder(std::vector<media::MediaPacketPtr>& out) {
  AVPacket* pkt = packet_.get();
  while (true) {
    av_packet_unref(pkt);
    int err = avcodec_receive_packet(encoder_.get(), pkt);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return {};
    if (err < 0) return codecError("transcode.encode", "cannot encode audio", err);
    // The first packet (the encoder's priming) sits before the first input sample.
    if (pkt->pts < 0 || pkt->size <= 0) continue;
    int64_t ms = av_rescale_q(pkt->pts, encoder_->time_base, kMs);
    out.push_back(aacPacket(ms, false, pkt->data, static_cast<size_t>(pkt->size)));
  }
}

void AudioTranscoder::closeEncoder(std::vector<media::MediaPacketPtr>& out) {
  if (!encoder_) return;
  (void)encodeFifo(true, out);
  if (avcodec_send_frame(encoder_.get(), nullptr) >= 0) (void)drainEncoder(out);
  av_packet_unref(packet_.get());
  encoder_.reset();
  fifo_.reset();
  anchored_ = false;
}

void AudioTranscoder::flush(std::vector<media::MediaPacketPtr>& out) {
  if (decoder_) (void)decode(nullptr, out);
  closeEncoder(out);
  decoder_.reset();
}

}  // namespace tidecast::core::transcode
