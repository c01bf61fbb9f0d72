#include "ingest/srt/ts_muxer.h"

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include <cstring>
#include <string>

#include "core/media/aac.h"
#include "core/media/mpeg_audio.h"

namespace tidecast::ingest::srt {

namespace media = core::media;

namespace {

constexpr AVRational kMillis{1, 1000};
constexpr int kOpusSampleRate = 48000;
constexpr size_t kOpusHeadChannelOffset = 9;

bool mpegAudio(media::Codec codec) {
  return codec == media::Codec::kMp2 || codec == media::Codec::kMp3;
}

bool tsAudio(media::Codec codec) {
  return codec == media::Codec::kAac || codec == media::Codec::kOpus || mpegAudio(codec);
}

std::string avError(int rc) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(rc, text, sizeof text);
  return text;
}

// The slice stays alive as long as libavformat holds the buffer.
void releaseSlice(void* opaque, uint8_t*) {
  std::unique_ptr<core::Slice> owned(static_cast<core::Slice*>(opaque));
}

bool setExtradata(AVCodecParameters& par, const core::Slice& config) {
  par.extradata = static_cast<uint8_t*>(av_mallocz(config.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  if (par.extradata == nullptr) return false;
  std::memcpy(par.extradata, config.data(), config.size());
  par.extradata_size = static_cast<int>(config.size());
  return true;
}

}  // namespace

struct TsMuxer::Impl {
  AVFormatContext* format = nullptr;
  int videoIndex = -1;
  int audioIndex = -1;
  int64_t lastDts[2] = {INT64_MIN, INT64_MIN};
  std::string pending;

  static int writePacket(void* opaque, uint8_t* buffer, int size) {
    static_cast<Impl*>(opaque)->pending.append(reinterpret_cast<const char*>(buffer),
                                               static_cast<size_t>(size));
    return size;
  }

  ~Impl() {
    if (format == nullptr) return;
    if (format->pb != nullptr) {
      av_freep(&format->pb->buffer);
      avio_context_free(&format->pb);
    }
    avformat_free_context(format);
  }
};

TsMuxer::TsMuxer(Output output) : output_(std::move(output)) {}

TsMuxer::~TsMuxer() = default;

void TsMuxer::stop() {
  impl_.reset();
  held_.clear();
}

core::Status TsMuxer::start() {
  auto impl = std::make_unique<Impl>();
  int rc = avformat_alloc_output_context2(&impl->format, nullptr, "mpegts", nullptr);
  if (rc < 0) return core::makeError("srt.mux", "mpegts muxer: " + avError(rc));
  if (videoConfig_) {
    AVStream* st = avformat_new_stream(impl->format, nullptr);
    if (st == nullptr) return core::makeError("srt.mux", "out of memory");
    st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
    st->codecpar->codec_id =
        videoCodec_ == media::Codec::kHevc ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264;
    if (!setExtradata(*st->codecpar, videoConfig_->data)) return core::makeError("srt.mux", "oom");
    st->time_base = kMillis;
    impl->videoIndex = st->index;
  }
  if (audioReady()) {
    AVStream* st = avformat_new_stream(impl->format, nullptr);
    if (st == nullptr) return core::makeError("srt.mux", "out of memory");
    st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
    int channels = 2;
    if (audioCodec_ == media::Codec::kAac) {
      auto info = media::parseAudioSpecificConfig(audioConfig_->data.span());
      if (!info) return core::makeError("srt.mux", "AudioSpecificConfig: " + info.error().message);
      st->codecpar->codec_id = AV_CODEC_ID_AAC;
      st->codecpar->sample_rate = static_cast<int>(info->sampleRate);
      channels = info->channels > 0 ? info->channels : 2;
    } else if (mpegAudio(audioCodec_)) {
      // The mpegts muxer picks the stream type (MPEG-1 or MPEG-2 audio) from the rate.
      st->codecpar->codec_id =
          audioCodec_ == media::Codec::kMp2 ? AV_CODEC_ID_MP2 : AV_CODEC_ID_MP3;
      st->codecpar->sample_rate = static_cast<int>(mpegAudioRate_);
      channels = mpegAudioChannels_;
    } else {
      st->codecpar->codec_id = AV_CODEC_ID_OPUS;
      st->codecpar->sample_rate = kOpusSampleRate;
      if (audioConfig_ && audioConfig_->data.size() > kOpusHeadChannelOffset) {
        channels = audioConfig_->data.data()[kOpusHeadChannelOffset];
      }
    }
    av_channel_layout_default(&st->codecpar->ch_layout, channels);
    if (audioConfig_ && !setExtradata(*st->codecpar, audioConfig_->data)) {
      return core::makeError("srt.mux", "out of memory");
    }
    st->time_base = kMillis;
    impl->audioIndex = st->index;
  }
  auto* buffer = static_cast<uint8_t*>(av_malloc(kMuxIoBufferBytes));
  if (buffer == nullptr) return core::makeError("srt.mux", "out of memory");
  impl->format->pb = avio_alloc_context(buffer, kMuxIoBufferBytes, 1, impl.get(), nullptr,
                                        &Impl::writePacket, nullptr);
  if (impl->format->pb == nullptr) {
    av_free(buffer);
    return core::makeError("srt.mux", "out of memory");
  }
  impl->format->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_FLUSH_PACKETS;
  AVDictionary* options = nullptr;
  av_dict_set(&options, "pes_payload_size", "0", 0);  // one PES per audio frame: no wait
  rc = avformat_write_header(impl->format, &options);
  av_dict_free(&options);
  if (rc < 0) return core::makeError("srt.mux", "mpegts header: " + avError(rc));
  impl_ = std::move(impl);
  return {};
}

core::Status TsMuxer::push(const media::MediaPacket& packet) {
  bool video = packet.track == media::TrackType::kVideo;
  if (packet.track == media::TrackType::kData) return {};
  if (packet.config) {
    auto& slot = video ? videoConfig_ : audioConfig_;
    bool changed = !slot || slot->data.view() != packet.data.view() ||
                   (video ? videoCodec_ : audioCodec_) != packet.codec;
    if (!changed) return {};
    bool hadTrack = slot != nullptr;
    slot = std::make_shared<const media::MediaPacket>(packet);
    (video ? videoCodec_ : audioCodec_) = packet.codec;
    // A changed configuration restarts the muxer (at the next keyframe). A track that
    // appears after the start is not added: restarting would wait for a keyframe that a
    // stream with long GOPs may not send for a long time.
    if (impl_ && hadTrack) stop();
    return {};
  }
  if (video && packet.codec != media::Codec::kH264 && packet.codec != media::Codec::kHevc) {
    ++skipped_;
    return {};
  }
  if (!video && !tsAudio(packet.codec)) {
    ++skipped_;
    return {};
  }
  if (!video && audioCodec_ == media::Codec::kUnknown) audioCodec_ = packet.codec;
  if (!video && mpegAudio(packet.codec) && mpegAudioRate_ == 0) {
    // No configuration packet: the first frame's header describes the track.
    auto header = media::parseMpegAudioHeader(packet.data.span());
    if (!header) {
      ++skipped_;
      return {};
    }
    mpegAudioRate_ = header->sampleRate;
    mpegAudioChannels_ = header->channels;
  }
  if (!impl_) return hold(std::make_shared<const media::MediaPacket>(packet));
  return write(packet);
}

bool TsMuxer::audioReady() const {
  return audioConfig_ != nullptr || audioCodec_ == media::Codec::kOpus ||
         (mpegAudio(audioCodec_) && mpegAudioRate_ > 0);
}

core::Status TsMuxer::hold(media::MediaPacketPtr packet) {
  bool video = packet->track == media::TrackType::kVideo;
  if (held_.empty()) {
    // Output starts at a video keyframe, or at an audio frame while no video is known.
    bool canStart = video ? videoConfig_ && packet->keyframe : !videoConfig_ && audioReady();
    if (!canStart) {
      ++skipped_;
      return {};
    }
  }
  held_.push_back(std::move(packet));
  // Wait a little for the other track's configuration (a TS publisher's first audio frame
  // comes after its first video frame), so the program starts with both.
  bool bothKnown = videoConfig_ && audioReady();
  bool waitedEnough =
      held_.back()->dts - held_.front()->dts >= kTrackWaitMs || held_.size() >= kMaxHeldPackets;
  if (!bothKnown && !waitedEnough) return {};
  if (auto status = start(); !status) return status;
  std::vector<media::MediaPacketPtr> held = std::move(held_);
  held_.clear();
  bool videoStarted = false;
  for (const auto& p : held) {
    bool isVideo = p->track == media::TrackType::kVideo;
    videoStarted |= isVideo && p->keyframe;
    if (isVideo && !videoStarted) {
      ++skipped_;
      continue;
    }
    if (auto status = write(*p); !status) return status;
  }
  return {};
}

core::Status TsMuxer::write(const media::MediaPacket& packet) {
  bool video = packet.track == media::TrackType::kVideo;
  int index = video ? impl_->videoIndex : impl_->audioIndex;
  if (index < 0) {
    ++skipped_;
    return {};
  }
  int64_t& last = impl_->lastDts[video ? 0 : 1];
  if (packet.dts <= last) {  // the TS muxer wants strictly rising decode times per stream
    ++skipped_;
    return {};
  }
  last = packet.dts;
  AVPacket* pkt = av_packet_alloc();
  if (pkt == nullptr) return core::makeError("srt.mux", "out of memory");
  auto holder = std::make_unique<core::Slice>(packet.data);
  pkt->buf = av_buffer_create(const_cast<uint8_t*>(holder->data()), holder->size(), releaseSlice,
                              holder.get(), AV_BUFFER_FLAG_READONLY);
  if (pkt->buf == nullptr) {
    av_packet_free(&pkt);
    return core::makeError("srt.mux", "out of memory");
  }
  (void)holder.release();  // owned by the AVBufferRef now
  pkt->data = pkt->buf->data;
  pkt->size = static_cast<int>(pkt->buf->size);
  AVStream* st = impl_->format->streams[index];
  pkt->stream_index = index;
  pkt->dts = av_rescale_q(packet.dts, kMillis, st->time_base);
  pkt->pts = av_rescale_q(packet.dts + packet.cts, kMillis, st->time_base);
  if (packet.keyframe) pkt->flags |= AV_PKT_FLAG_KEY;
  int rc = av_write_frame(impl_->format, pkt);
  av_packet_free(&pkt);
  if (rc < 0) return core::makeError("srt.mux", "mpegts packet: " + avError(rc));
  avio_flush(impl_->format->pb);
  if (!impl_->pending.empty()) output_(core::Slice::fromString(std::move(impl_->pending)));
  impl_->pending.clear();
  return {};
}

}  // namespace tidecast::ingest::srt
