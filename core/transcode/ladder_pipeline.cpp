#include "core/transcode/ladder_pipeline.h"

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

#include <algorithm>

#include "core/media/codec_info.h"
#include "core/media/flv_tag.h"
#include "core/media/h264.h"
#include "core/media/nal_units.h"

namespace tidecast::core::transcode {

namespace media = core::media;

namespace {

// Source keyframes remembered until the decoder returns them: bounded by the decoder's delay.
constexpr size_t kMaxPendingKeyframes = 64;
constexpr double kDefaultFps = 30;
constexpr int kScaleFlags = SWS_BILINEAR;

Error codecError(std::string code, std::string_view what, int err) {
  return makeError(std::move(code), std::string(what) + ": " + avError(err));
}

// Annex B access unit -> 4-byte length prefixes, straight into one Slice.
Slice lengthPrefixed(const uint8_t* data, size_t size) {
  media::ByteSpan bytes(data, size);
  size_t total = 0;
  media::AnnexBNalReader counter(bytes);
  while (auto nal = counter.next()) total += 4 + nal->size();
  SliceBuilder builder(total);
  media::AnnexBNalReader reader(bytes);
  while (auto nal = reader.next()) {
    const uint8_t length[4] = {
        static_cast<uint8_t>(nal->size() >> 24), static_cast<uint8_t>(nal->size() >> 16),
        static_cast<uint8_t>(nal->size() >> 8), static_cast<uint8_t>(nal->size())};
    builder.append(length, 4);
    builder.append(nal->data(), nal->size());
  }
  return builder.finish();
}

// The encoder's global header (Annex B SPS + PPS) as an avcC configuration packet.
Result<media::MediaPacketPtr> configPacket(const AVCodecContext& encoder, int64_t dts) {
  if (encoder.extradata == nullptr || encoder.extradata_size <= 0) {
    return makeError("transcode.encode", "the encoder gave no parameter sets");
  }
  std::vector<media::ByteSpan> sps;
  std::vector<media::ByteSpan> pps;
  media::AnnexBNalReader reader(
      media::ByteSpan(encoder.extradata, static_cast<size_t>(encoder.extradata_size)));
  while (auto nal = reader.next()) {
    if (nal->empty()) continue;
    uint8_t type = media::h264NalType((*nal)[0]);
    if (type == media::kH264NalSps) sps.push_back(*nal);
    if (type == media::kH264NalPps) pps.push_back(*nal);
  }
  auto record = media::buildAvcConfig(sps, pps);
  if (!record) return record.error();
  auto packet = std::make_shared<media::MediaPacket>();
  packet->track = media::TrackType::kVideo;
  packet->codec = media::Codec::kH264;
  packet->dts = dts;
  packet->config = true;
  packet->data = Slice::copyOf(record->data(), record->size());
  packet->flvHeader = media::makeFlvHeader(*packet);
  return media::MediaPacketPtr(std::move(packet));
}

}  // namespace

struct LadderPipeline::Rung {
  RenditionConfig config;
  CodecContextPtr encoder;
  SwsPtr scaler;
  FramePtr scaled;
  PacketPtr packet;
  FrameDecimator decimator;
  FrameSize size;
  int inputWidth = 0;
  int inputHeight = 0;
  int inputFormat = -1;
  bool configSent = false;
};

LadderPipeline::LadderPipeline(std::vector<RenditionConfig> rungs, uint32_t encoderThreads)
    : encoderThreads_(encoderThreads), decoded_(av_frame_alloc()), packet_(av_packet_alloc()) {
  for (auto& config : rungs) {
    auto rung = std::make_unique<Rung>();
    rung->config = std::move(config);
    rung->packet.reset(av_packet_alloc());
    rungs_.push_back(std::move(rung));
  }
}

LadderPipeline::~LadderPipeline() = default;

FrameSize LadderPipeline::outputSize(size_t rung) const {
  return rung < rungs_.size() ? rungs_[rung]->size : FrameSize{};
}

Status LadderPipeline::openDecoder(const media::MediaPacket& config) {
  AVCodecID id = config.codec == media::Codec::kH264   ? AV_CODEC_ID_H264
                 : config.codec == media::Codec::kHevc ? AV_CODEC_ID_HEVC
                                                       : AV_CODEC_ID_NONE;
  if (id == AV_CODEC_ID_NONE) {
    return makeError("transcode.unsupported",
                     "cannot transcode " + std::string(media::codecName(config.codec)));
  }
  const AVCodec* codec = avcodec_find_decoder(id);
  if (codec == nullptr) return makeError("transcode.unsupported", "no decoder in libavcodec");
  CodecContextPtr context(avcodec_alloc_context3(codec));
  const size_t size = config.data.size();
  context->extradata = static_cast<uint8_t*>(av_mallocz(size + AV_INPUT_BUFFER_PADDING_SIZE));
  if (context->extradata == nullptr) return makeError("transcode.decode", "out of memory");
  std::copy_n(config.data.data(), size, context->extradata);
  context->extradata_size = static_cast<int>(size);
  context->pkt_timebase = AVRational{1, 1000};
  context->thread_count = 1;  // frame threads would add a frame of delay each
  if (int err = avcodec_open2(context.get(), codec, nullptr); err < 0) {
    return codecError("transcode.decode", "cannot open the decoder", err);
  }
  auto info = media::videoInfoFromConfig(config);
  sourceFps_ = info ? info->fps : 0;
  decoder_ = std::move(context);
  codec_ = config.codec;
  keyframePts_.clear();
  awaitKeyframe_ = true;
  return {};
}

Status LadderPipeline::push(const media::MediaPacket& packet, std::vector<RungOutput>& out) {
  if (packet.track != media::TrackType::kVideo || packet.endOfSequence) return {};
  if (packet.config) {
    if (decoder_ && packet.data.view() == sourceConfig_) return {};  // repeated, unchanged
    if (decoder_) flush(out);
    sourceConfig_ = std::string(packet.data.view());
    return openDecoder(packet);
  }
  if (!decoder_ || packet.data.empty()) return {};
  if (awaitKeyframe_ && !packet.keyframe) return {};
  awaitKeyframe_ = false;
  const int64_t pts = packet.dts + packet.cts;
  if (packet.keyframe) {
    keyframePts_.push_back(pts);
    if (keyframePts_.size() > kMaxPendingKeyframes) keyframePts_.pop_front();
  }
  av_packet_unref(packet_.get());
  if (int err = av_new_packet(packet_.get(), static_cast<int>(packet.data.size())); err < 0) {
    return codecError("transcode.decode", "cannot allocate a packet", err);
  }
  std::copy_n(packet.data.data(), packet.data.size(), packet_->data);
  packet_->pts = pts;
  packet_->dts = packet.dts;
  if (packet.keyframe) packet_->flags |= AV_PKT_FLAG_KEY;
  Status status = decode(packet_.get(), out);
  if (!status) awaitKeyframe_ = true;
  return status;
}

Status LadderPipeline::decode(const AVPacket* packet, std::vector<RungOutput>& out) {
  int err = avcodec_send_packet(decoder_.get(), packet);
  if (err < 0 && err != AVERROR_EOF) {
    return codecError("transcode.decode", "the decoder refused a frame", err);
  }
  while (true) {
    err = avcodec_receive_frame(decoder_.get(), decoded_.get());
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return {};
    if (err < 0) return codecError("transcode.decode", "cannot decode", err);
    Status status = encodeFrame(decoded_.get(), out);
    av_frame_unref(decoded_.get());
    if (!status) return status;
  }
}

Status LadderPipeline::openEncoder(Rung& rung, const AVFrame& frame) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) return makeError("transcode.unsupported", "libavcodec has no libx264");
  FrameSize source{static_cast<uint32_t>(frame.width), static_cast<uint32_t>(frame.height)};
  rung.size = scaledSize(source, rung.config.width, rung.config.height);
  double fps = outputFrameRate(sourceFps_, rung.config.fps);
  rung.decimator = FrameDecimator(fps > 0 && fps < sourceFps_ ? 1000.0 / fps : 0);

  CodecContextPtr context(avcodec_alloc_context3(codec));
  context->width = static_cast<int>(rung.size.width);
  context->height = static_cast<int>(rung.size.height);
  context->pix_fmt = AV_PIX_FMT_YUV420P;
  context->sample_aspect_ratio = AVRational{1, 1};
  context->time_base = AVRational{1, 1000};
  int rate = static_cast<int>(fps > 0 ? fps + 0.5 : kDefaultFps);
  context->framerate = AVRational{rate, 1};
  context->bit_rate = rung.config.videoBitrate;
  context->rc_max_rate = effectiveMaxrate(rung.config);
  context->rc_buffer_size = static_cast<int>(effectiveBufsize(rung.config));
  context->gop_size = kEncoderGopFrames;
  context->keyint_min = 1;
  context->max_b_frames = static_cast<int>(rung.config.bframes);
  context->thread_count = static_cast<int>(encoderThreads_);
  context->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* options = nullptr;
  for (const auto& [key, value] : x264Options(rung.config)) {
    av_dict_set(&options, key.c_str(), value.c_str(), 0);
  }
  av_dict_set(&options, "udu_sei", "1", 0);  // the source's user-data SEI (time stamps) go on
  int err = avcodec_open2(context.get(), codec, &options);
  av_dict_free(&options);
  if (err < 0) return codecError("transcode.encode", "cannot open libx264", err);

  rung.scaler.reset();
  rung.scaled.reset();
  bool sameSize = frame.width == context->width && frame.height == context->height &&
                  frame.format == AV_PIX_FMT_YUV420P;
  if (!sameSize) {
    rung.scaler.reset(sws_getContext(
        frame.width, frame.height, static_cast<AVPixelFormat>(frame.format), context->width,
        context->height, AV_PIX_FMT_YUV420P, kScaleFlags, nullptr, nullptr, nullptr));
    if (!rung.scaler) return makeError("transcode.encode", "cannot set up the scaler");
    rung.scaled.reset(av_frame_alloc());
    rung.scaled->width = context->width;
    rung.scaled->height = context->height;
    rung.scaled->format = AV_PIX_FMT_YUV420P;
    if (int e = av_frame_get_buffer(rung.scaled.get(), 0); e < 0) {
      return codecError("transcode.encode", "cannot allocate a frame", e);
    }
  }
  rung.encoder = std::move(context);
  rung.inputWidth = frame.width;
  rung.inputHeight = frame.height;
  rung.inputFormat = frame.format;
  rung.configSent = false;
  return {};
}

Status LadderPipeline::encodeFrame(AVFrame* frame, std::vector<RungOutput>& out) {
  int64_t pts =
      frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
  bool keyframe = false;
  while (!keyframePts_.empty() && keyframePts_.front() <= pts) {
    keyframe |= keyframePts_.front() == pts;
    keyframePts_.pop_front();
  }
  for (size_t i = 0; i < rungs_.size(); ++i) {
    Rung& rung = *rungs_[i];
    if (!rung.encoder || rung.inputWidth != frame->width || rung.inputHeight != frame->height ||
        rung.inputFormat != frame->format) {
      if (rung.encoder) {
        avcodec_send_frame(rung.encoder.get(), nullptr);
        if (Status s = drainEncoder(i, out); !s) return s;
      }
      if (Status s = openEncoder(rung, *frame); !s) return s;
      keyframe = true;  // a new encoder starts with an IDR anyway
    }
    if (!rung.decimator.keep(pts, keyframe)) continue;
    AVFrame* input = frame;
    if (rung.scaler) {
      if (int err = av_frame_make_writable(rung.scaled.get()); err < 0) {
        return codecError("transcode.encode", "cannot reuse the scaled frame", err);
      }
      sws_scale(rung.scaler.get(), frame->data, frame->linesize, 0, frame->height,
                rung.scaled->data, rung.scaled->linesize);
      av_frame_copy_props(rung.scaled.get(), frame);  // side data: SEI time stamps
      input = rung.scaled.get();
    }
    input->pts = pts;
    input->pict_type = keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    input->key_frame = keyframe ? 1 : 0;
    int err = avcodec_send_frame(rung.encoder.get(), input);
    if (err < 0) return codecError("transcode.encode", "the encoder refused a frame", err);
    if (Status s = drainEncoder(i, out); !s) return s;
  }
  return {};
}

Status LadderPipeline::drainEncoder(size_t index, std::vector<RungOutput>& out) {
  Rung& rung = *rungs_[index];
  AVPacket* pkt = rung.packet.get();
  while (true) {
    int err = avcodec_receive_packet(rung.encoder.get(), pkt);
    if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return {};
    if (err < 0) return codecError("transcode.encode", "cannot encode", err);
    int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
    if (!rung.configSent) {
      auto config = configPacket(*rung.encoder, dts);
      if (!config) {
        av_packet_unref(pkt);
        return config.error();
      }
      out.push_back({index, std::move(*config)});
      rung.configSent = true;
    }
    auto packet = std::make_shared<media::MediaPacket>();
    packet->track = media::TrackType::kVideo;
    packet->codec = media::Codec::kH264;
    packet->dts = dts;
    packet->cts = static_cast<int32_t>(pkt->pts - dts);
    packet->keyframe = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    packet->data = lengthPrefixed(pkt->data, static_cast<size_t>(pkt->size));
    packet->flvHeader = media::makeFlvHeader(*packet);
    av_packet_unref(pkt);
    out.push_back({index, std::move(packet)});
  }
}

void LadderPipeline::flush(std::vector<RungOutput>& out) {
  if (decoder_) (void)decode(nullptr, out);
  for (size_t i = 0; i < rungs_.size(); ++i) {
    Rung& rung = *rungs_[i];
    if (!rung.encoder) continue;
    avcodec_send_frame(rung.encoder.get(), nullptr);
    (void)drainEncoder(i, out);
    rung.encoder.reset();  // a flushed encoder takes no more frames
  }
  decoder_.reset();
  keyframePts_.clear();
  awaitKeyframe_ = true;
}

}  // namespace tidecast::core::transcode
