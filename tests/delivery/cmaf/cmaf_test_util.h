// Helpers for the CMAF, HLS and DASH tests: a loop context, synthetic MediaPackets with real
// decoder configurations, and a source that publishes 30 fps H.264 (a keyframe every 30
// frames) and 48 kHz AAC (1024-sample frames) into a core::Stream with RTMP's millisecond
// timestamps. No gtest here: the fuzz target shares the loop context.
#pragma once

#include <spdlog/sinks/null_sink.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/loop_context.h"
#include "core/media/media_packet.h"
#include "core/metrics.h"
#include "core/stream.h"
#include "delivery/cmaf/stream_packager.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::delivery::cmaf::testutil {

using core::media::Codec;
using core::media::MediaPacket;
using core::media::MediaPacketPtr;
using core::media::TrackType;

// Everything a StreamPackager needs from its loop; logs go nowhere.
struct TestLoop {
  core::Config config;
  core::Loop loop;
  core::MetricsRegistry metrics;
  std::shared_ptr<spdlog::logger> log = core::makeLogger(
      config.get<core::LogConfig>(), std::make_shared<spdlog::sinks::null_sink_mt>());
  core::LoopContext context{loop, metrics, *log, config};
};

// AAC LC 48 kHz stereo (AudioSpecificConfig 00010 0011 0010 000).
inline constexpr uint8_t kAscLc48000Stereo[] = {0x11, 0x90};
// RFC 7845 identification header: version 1, 2 channels, pre-skip 312, 48 kHz, gain 0.
inline constexpr uint8_t kOpusHead[] = {'O',  'p',  'u',  's',  'H', 'e', 'a', 'd', 1, 2,
                                        0x38, 0x01, 0x80, 0xbb, 0,   0,   0,   0,   0};

inline MediaPacketPtr configPacket(TrackType track, Codec codec, std::span<const uint8_t> bytes) {
  auto p = std::make_shared<MediaPacket>();
  p->track = track;
  p->codec = codec;
  p->config = true;
  p->data = core::Slice::copyOf(bytes.data(), bytes.size());
  return p;
}

inline MediaPacketPtr h264Config() {
  return configPacket(TrackType::kVideo, Codec::kH264, core::media::testdata::kAvcC1280x720High);
}

inline MediaPacketPtr aacConfig() {
  return configPacket(TrackType::kAudio, Codec::kAac, kAscLc48000Stereo);
}

// A frame whose payload bytes say which frame it is (its dts), so tests can find it again.
inline MediaPacketPtr framePacket(TrackType track, Codec codec, int64_t dts, bool keyframe,
                                  int32_t cts = 0, size_t size = 0) {
  auto p = std::make_shared<MediaPacket>();
  p->track = track;
  p->codec = codec;
  p->dts = dts;
  p->cts = cts;
  p->keyframe = keyframe;
  if (size == 0) size = track == TrackType::kVideo ? (keyframe ? 3000 : 800) : 200;
  std::string payload(size, static_cast<char>(dts & 0x7f));
  p->data = core::Slice::copyOf(payload);
  return p;
}

inline MediaPacketPtr videoFrame(int64_t dts, bool keyframe, int32_t cts = 0, size_t size = 0) {
  return framePacket(TrackType::kVideo, Codec::kH264, dts, keyframe, cts, size);
}

inline MediaPacketPtr audioFrame(int64_t dts, size_t size = 0) {
  return framePacket(TrackType::kAudio, Codec::kAac, dts, true, 0, size);
}

// Publishes synthetic A/V into a Stream in decode order, video first at equal times (as an
// encoder's muxer does; audio before the first video keyframe is dropped by the packager).
struct SyntheticSource {
  explicit SyntheticSource(core::Stream& s) : stream(s) {}

  core::Stream& stream;
  int64_t baseMs = 0;  // input timestamp of frame 0
  uint32_t gop = 30;   // a keyframe every this many video frames
  bool video = true;
  bool audio = true;
  bool bFrames = false;      // composition offsets: I P B B pattern (cts 0, 100, 33, 33 ms)
  uint64_t videoFrames = 0;  // sent so far
  uint64_t audioFrames = 0;

  int64_t videoDts(uint64_t i) const { return baseMs + static_cast<int64_t>(i * 1000 / 30); }
  int64_t audioDts(uint64_t i) const {
    return baseMs + static_cast<int64_t>(i * 1024 * 1000 / 48000);
  }

  void sendConfigs() {
    if (video) stream.push(h264Config(), 0);
    if (audio) stream.push(aacConfig(), 0);
  }

  // Sends every frame whose dts is before baseMs + `untilMs`.
  void runUntil(int64_t untilMs) {
    int64_t limit = baseMs + untilMs;
    for (;;) {
      bool v = video && videoDts(videoFrames) < limit;
      bool a = audio && audioDts(audioFrames) < limit;
      if (!v && !a) return;
      if (v && (!a || videoDts(videoFrames) <= audioDts(audioFrames))) {
        uint64_t i = videoFrames++;
        bool key = i % gop == 0;
        int32_t cts = 0;
        if (bFrames) {
          static constexpr int32_t kPattern[] = {33, 100, 33, 33};  // I P B B, shifted
          cts = kPattern[i % 4];
        }
        stream.push(videoFrame(videoDts(i), key, cts), 0);
      } else {
        stream.push(audioFrame(audioDts(audioFrames++)), 0);
      }
    }
  }
};

// A packager on a test loop, and the publishing sessions feeding it. Settings apply when
// the packager is created, at the first use of packager() or publish().
struct PackagerHarness {
  CmafConfig settings;
  TestLoop loop;
  std::unique_ptr<StreamPackager> owned;
  std::vector<std::unique_ptr<core::Stream>> streams;  // destroyed before the packager
  std::vector<std::unique_ptr<SyntheticSource>> sources;

  StreamPackager& packager() {
    if (!owned) owned = std::make_unique<StreamPackager>("live/k", settings, loop.context);
    return *owned;
  }
  core::Stream& stream() { return *streams.back(); }

  // A new publishing session: a new Stream with the packager attached, and its source.
  SyntheticSource& publish(bool video = true, bool audio = true) {
    streams.push_back(std::make_unique<core::Stream>("live/k", streams.size() + 1, 1 << 20));
    packager().attach(*streams.back());
    sources.push_back(std::make_unique<SyntheticSource>(*streams.back()));
    SyntheticSource& source = *sources.back();
    source.video = video;
    source.audio = audio;
    return source;
  }
  // Publishes configurations and `ms` of media in a new session.
  SyntheticSource& publishFor(int64_t ms, bool video = true, bool audio = true) {
    SyntheticSource& source = publish(video, audio);
    source.sendConfigs();
    source.runUntil(ms);
    return source;
  }
  void endSession(std::string_view reason = "publisher left") { streams.back()->end(reason); }
};

}  // namespace tidecast::delivery::cmaf::testutil
