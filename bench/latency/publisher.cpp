#include "bench/latency/publisher.h"

#include <chrono>
#include <cstring>
#include <span>
#include <vector>

#include "bench/latency/sei_stamp.h"
#include "bench/latency/synthetic_source.h"
#include "bench/latency/wall_clock.h"

namespace tidecast::bench::latency {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kVideoStream = 0;
constexpr int kAudioStream = 1;
// After stop(), blocked output I/O gets this long to finish (trailer, RTMP unpublish).
constexpr auto kCloseGrace = std::chrono::seconds(3);

int64_t steadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

// libavformat's interrupt callback: abort I/O once the deadline (steady µs) has passed.
int pastDeadline(void* opaque) {
  return steadyMicros() > static_cast<std::atomic<int64_t>*>(opaque)->load() ? 1 : 0;
}

FramePtr allocPicture(const AVCodecContext& encoder) {
  FramePtr frame(av_frame_alloc());
  frame->format = encoder.pix_fmt;
  frame->width = encoder.width;
  frame->height = encoder.height;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  return frame;
}

FramePtr allocSamples(const AVCodecContext& encoder) {
  FramePtr frame(av_frame_alloc());
  frame->format = encoder.sample_fmt;
  frame->sample_rate = encoder.sample_rate;
  frame->nb_samples = encoder.frame_size;
  if (av_channel_layout_copy(&frame->ch_layout, &encoder.ch_layout) < 0) return nullptr;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  return frame;
}

// A copy of `packet` whose data is `data`.
PacketPtr withData(const AVPacket& packet, std::span<const uint8_t> data) {
  PacketPtr out(av_packet_alloc());
  if (av_new_packet(out.get(), static_cast<int>(data.size())) < 0) return nullptr;
  std::memcpy(out->data, data.data(), data.size());
  av_packet_copy_props(out.get(), &packet);
  out->stream_index = packet.stream_index;
  return out;
}

}  // namespace

Publisher::Publisher(PublisherOptions options) : options_(std::move(options)) {}

Publisher::~Publisher() { stop(); }

bool Publisher::start(std::string& error) {
  video_ = openVideoEncoder(options_.video, error);
  if (!video_) return false;
  if (options_.audio) {
    audio_ = openAudioEncoder(error);
    if (!audio_) return false;
    samples_ = allocSamples(*audio_);
  }
  picture_ = allocPicture(*video_);
  packet_.reset(av_packet_alloc());
  if (!picture_ || (options_.audio && !samples_)) {
    error = "cannot allocate frames";
    return false;
  }
  if (!openOutput(error)) return false;
  thread_ = std::thread([this] { run(); });
  return true;
}

bool Publisher::openOutput(std::string& error) {
  const std::string& url = options_.url;
  AVFormatContext* raw = nullptr;
  // SRT carries MPEG-TS; everything else (RTMP, files) FLV.
  const char* format = url.starts_with("srt://") ? "mpegts" : "flv";
  int rc = avformat_alloc_output_context2(&raw, nullptr, format, url.c_str());
  if (rc < 0) {
    error = std::string("cannot set up ") + format + " output: " + avError(rc);
    return false;
  }
  output_.reset(raw);
  output_->interrupt_callback = {pastDeadline, &abortAtMicros_};
  for (AVCodecContext* encoder : {video_.get(), audio_.get()}) {
    if (encoder == nullptr) continue;
    AVStream* stream = avformat_new_stream(output_.get(), nullptr);
    avcodec_parameters_from_context(stream->codecpar, encoder);
    stream->time_base = encoder->time_base;
  }
  AVDictionary* io = nullptr;
  av_dict_set(&io, "tcp_nodelay", "1", 0);  // reaches the TCP socket under rtmp://
  rc = avio_open2(&output_->pb, url.c_str(), AVIO_FLAG_WRITE, &output_->interrupt_callback, &io);
  av_dict_free(&io);
  if (rc < 0) {
    error = "cannot open " + url + ": " + avError(rc);
    return false;
  }
  AVDictionary* mux = nullptr;
  av_dict_set(&mux, "flvflags", "no_duration_filesize", 0);  // live: no seeking back at the end
  rc = avformat_write_header(output_.get(), &mux);
  av_dict_free(&mux);
  if (rc < 0) {
    error = "cannot publish to " + url + ": " + avError(rc);
    return false;
  }
  return true;
}

void Publisher::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  abortAtMicros_ = steadyMicros() + std::chrono::microseconds(kCloseGrace).count();
  thread_.join();
  av_write_trailer(output_.get());
  output_.reset();  // closes the connection (RTMP: unpublishes)
}

PublisherStats Publisher::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Publisher::fail(const std::string& why) {
  std::lock_guard lock(mutex_);
  if (stats_.error.empty()) stats_.error = why;
}

// Picture i is encoded at t0 + i / fps; the audio up to the end of its interval follows it.
void Publisher::run() {
  const int fps = options_.video.fps;
  const auto interval = std::chrono::nanoseconds(1'000'000'000 / fps);
  const auto t0 = Clock::now();
  for (int64_t i = 0; !stopping_; ++i) {
    auto due = t0 + std::chrono::nanoseconds(i * 1'000'000'000 / fps);
    std::this_thread::sleep_until(due);
    if (Clock::now() - due > interval) {
      std::lock_guard lock(mutex_);
      ++stats_.lateFrames;
    }
    if (!encodeVideo(i) || (audio_ && !encodeAudioUntil(i))) return;
  }
}

bool Publisher::encodeVideo(int64_t index) {
  if (av_frame_make_writable(picture_.get()) < 0) {
    fail("cannot write the picture");
    return false;
  }
  drawTestPicture(*picture_, index);
  picture_->pts = index;
  if (int rc = avcodec_send_frame(video_.get(), picture_.get()); rc < 0) {
    fail("video encoder: " + avError(rc));
    return false;
  }
  return drain(*video_, kVideoStream);
}

bool Publisher::encodeAudioUntil(int64_t videoIndex) {
  const int64_t fps = options_.video.fps;
  while (audioNextSample_ * fps < (videoIndex + 1) * audio_->sample_rate) {
    if (av_frame_make_writable(samples_.get()) < 0) {
      fail("cannot write the audio frame");
      return false;
    }
    fillSine(*samples_, audioNextSample_);
    samples_->pts = audioNextSample_;
    audioNextSample_ += samples_->nb_samples;
    if (int rc = avcodec_send_frame(audio_.get(), samples_.get()); rc < 0) {
      fail("audio encoder: " + avError(rc));
      return false;
    }
    if (!drain(*audio_, kAudioStream)) return false;
  }
  return true;
}

bool Publisher::drain(AVCodecContext& encoder, int streamIndex) {
  while (true) {
    int rc = avcodec_receive_packet(&encoder, packet_.get());
    if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return true;
    if (rc < 0) {
      fail(std::string(encoder.codec->name) + " encoder: " + avError(rc));
      return false;
    }
    bool ok = write(*packet_, streamIndex);
    av_packet_unref(packet_.get());
    if (!ok) return false;
  }
}

bool Publisher::write(AVPacket& packet, int streamIndex) {
  AVCodecContext& encoder = streamIndex == kVideoStream ? *video_ : *audio_;
  if (streamIndex == kAudioStream) {  // AAC priming: the first samples' packet is stamped < 0
    packet.pts += encoder.initial_padding;
    packet.dts += encoder.initial_padding;
    if (packet.dts < 0) return true;
  }
  packet.stream_index = streamIndex;
  av_packet_rescale_ts(&packet, encoder.time_base, output_->streams[streamIndex]->time_base);
  PacketPtr stamped;
  if (streamIndex == kVideoStream) {
    std::vector<uint8_t> accessUnit = insertSei(
        std::span(packet.data, static_cast<size_t>(packet.size)), makeStampSei(wallMicros()));
    stamped = withData(packet, accessUnit);
  }
  auto before = Clock::now();
  int rc = av_write_frame(output_.get(), stamped ? stamped.get() : &packet);
  if (rc >= 0) avio_flush(output_->pb);
  if (rc < 0 || output_->pb->error < 0) {
    fail("writing to " + options_.url + ": " + avError(rc < 0 ? rc : output_->pb->error));
    return false;
  }
  std::lock_guard lock(mutex_);
  if (streamIndex == kVideoStream) {
    ++stats_.videoFrames;
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - before).count();
    if (ms > stats_.maxWriteMs) stats_.maxWriteMs = ms;
  } else {
    ++stats_.audioFrames;
  }
  return true;
}

}  // namespace tidecast::bench::latency
