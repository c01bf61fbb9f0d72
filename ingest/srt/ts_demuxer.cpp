#include "ingest/srt/ts_demuxer.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include <string>

namespace tidecast::ingest::srt {

namespace media = core::media;

namespace {

std::string avError(int rc) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(rc, text, sizeof text);
  return text;
}

media::Codec codecOf(AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_H264:
      return media::Codec::kH264;
    case AV_CODEC_ID_HEVC:
      return media::Codec::kHevc;
    case AV_CODEC_ID_AAC:
      return media::Codec::kAac;
    case AV_CODEC_ID_OPUS:
      return media::Codec::kOpus;
    case AV_CODEC_ID_MP2:
      return media::Codec::kMp2;
    case AV_CODEC_ID_MP3:
      return media::Codec::kMp3;
    default:
      return media::Codec::kUnknown;
  }
}

}  // namespace

struct TsDemuxer::Impl {
  Read read;
  AVFormatContext* format = nullptr;
  AVIOContext* io = nullptr;
  AVPacket* packet = av_packet_alloc();

  static int readPacket(void* opaque, uint8_t* buffer, int size) {
    auto* self = static_cast<Impl*>(opaque);
    int n = self->read(buffer, size);
    return n > 0 ? n : AVERROR_EOF;
  }

  ~Impl() {
    av_packet_free(&packet);
    if (format != nullptr) avformat_close_input(&format);  // custom pb: not closed by it
    if (io != nullptr) {
      av_freep(&io->buffer);
      avio_context_free(&io);
    }
  }
};

TsDemuxer::TsDemuxer(Read read) : impl_(std::make_unique<Impl>()) { impl_->read = std::move(read); }

TsDemuxer::~TsDemuxer() = default;

core::Status TsDemuxer::open() {
  auto* buffer = static_cast<uint8_t*>(av_malloc(kDemuxIoBufferBytes));
  if (buffer == nullptr || impl_->packet == nullptr) {
    av_free(buffer);
    return core::makeError("srt.demux_open", "out of memory");
  }
  impl_->io = avio_alloc_context(buffer, kDemuxIoBufferBytes, 0, impl_.get(), &Impl::readPacket,
                                 nullptr, nullptr);
  if (impl_->io == nullptr) {
    av_free(buffer);
    return core::makeError("srt.demux_open", "out of memory");
  }
  impl_->io->seekable = 0;
  impl_->format = avformat_alloc_context();
  if (impl_->format == nullptr) return core::makeError("srt.demux_open", "out of memory");
  impl_->format->pb = impl_->io;
  impl_->format->flags |= AVFMT_FLAG_CUSTOM_IO;
  impl_->format->probesize = kDemuxProbeBytes;
  AVDictionary* options = nullptr;
  // Timestamps are unwrapped by our TimestampMapper, across every wrap, not only the first.
  av_dict_set(&options, "correct_ts_overflow", "0", 0);
  int rc = avformat_open_input(&impl_->format, nullptr, av_find_input_format("mpegts"), &options);
  av_dict_free(&options);
  if (rc < 0) {
    // avformat_open_input frees the context on failure; the custom pb stays ours.
    impl_->format = nullptr;
    return core::makeError("srt.demux_open", "not MPEG-TS: " + avError(rc));
  }
  return {};
}

core::Result<ElementaryUnit> TsDemuxer::next() {
  AVFormatContext* format = impl_->format;
  if (format == nullptr) return core::makeError("srt.demux_read", "not open");
  for (;;) {
    av_packet_unref(impl_->packet);
    int rc = av_read_frame(format, impl_->packet);
    if (rc == AVERROR_EOF) return core::makeError("srt.demux_end", "end of input");
    if (rc < 0) return core::makeError("srt.demux_read", avError(rc));
    const AVPacket& p = *impl_->packet;
    if (p.stream_index < 0 || static_cast<unsigned>(p.stream_index) >= format->nb_streams) continue;
    const AVStream* stream = format->streams[p.stream_index];
    media::Codec codec = codecOf(stream->codecpar->codec_id);
    if (codec == media::Codec::kUnknown || p.size <= 0) continue;
    ElementaryUnit unit;
    unit.track = p.stream_index;
    unit.codec = codec;
    unit.data = media::ByteSpan(p.data, static_cast<size_t>(p.size));
    unit.pts90k = p.pts == AV_NOPTS_VALUE ? kNoTimestamp : p.pts;
    unit.dts90k = p.dts == AV_NOPTS_VALUE ? kNoTimestamp : p.dts;
    unit.duration90k = p.duration > 0 ? p.duration : 0;
    if (stream->codecpar->extradata_size > 0) {
      unit.extradata = media::ByteSpan(stream->codecpar->extradata,
                                       static_cast<size_t>(stream->codecpar->extradata_size));
    }
    return unit;
  }
}

}  // namespace tidecast::ingest::srt
