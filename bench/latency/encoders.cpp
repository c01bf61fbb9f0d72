#include "bench/latency/encoders.h"

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

namespace tidecast::bench::latency {
namespace {

constexpr int kAudioSampleRate = 48000;
constexpr int64_t kAudioBitRate = 64000;

CodecContextPtr open(CodecContextPtr context, const AVCodec* codec, AVDictionary** options,
                     std::string& error) {
  int rc = avcodec_open2(context.get(), codec, options);
  av_dict_free(options);
  if (rc < 0) {
    error = std::string("cannot open encoder ") + codec->name + ": " + avError(rc);
    return nullptr;
  }
  return context;
}

}  // namespace

CodecContextPtr openVideoEncoder(const VideoSettings& settings, std::string& error) {
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) {
    error = "libavcodec has no libx264 encoder";
    return nullptr;
  }
  CodecContextPtr c(avcodec_alloc_context3(codec));
  c->width = settings.width;
  c->height = settings.height;
  c->pix_fmt = AV_PIX_FMT_YUV420P;
  c->time_base = {1, settings.fps};
  c->framerate = {settings.fps, 1};
  c->gop_size = settings.gop;
  c->keyint_min = settings.gop;
  c->max_b_frames = 0;
  c->bit_rate = settings.bitRate;
  c->rc_max_rate = settings.bitRate;
  c->rc_buffer_size = static_cast<int>(settings.bitRate);
  c->thread_count = 1;
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "preset", "veryfast", 0);
  av_dict_set(&options, "tune", "zerolatency", 0);
  av_dict_set(&options, "x264-params", "scenecut=0", 0);
  return open(std::move(c), codec, &options, error);
}

CodecContextPtr openAudioEncoder(std::string& error) {
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (codec == nullptr) {
    error = "libavcodec has no AAC encoder";
    return nullptr;
  }
  CodecContextPtr c(avcodec_alloc_context3(codec));
  c->sample_fmt = AV_SAMPLE_FMT_FLTP;
  c->sample_rate = kAudioSampleRate;
  av_channel_layout_default(&c->ch_layout, 1);
  c->bit_rate = kAudioBitRate;
  c->time_base = {1, kAudioSampleRate};
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* options = nullptr;
  return open(std::move(c), codec, &options, error);
}

}  // namespace tidecast::bench::latency
