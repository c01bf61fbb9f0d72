#include "core/transcode/transcoder.h"

#include <gtest/gtest.h>

#include <spdlog/sinks/null_sink.h>
#include <map>

#include "core/log.h"
#include "core/stream_name.h"
#include "tests/core/loop_test_util.h"
#include "tests/core/transcode/source_encoder.h"
#include "tests/core/transcode/tone_source.h"

namespace tidecast::core::transcode {
namespace {

using testing::SourceEncoder;
using testing::ToneSource;

struct CountingSink : StreamSink {
  size_t frames = 0;
  size_t configs = 0;
  bool ended = false;
  void onPacket(const media::MediaPacketPtr& p) override { (p->config ? configs : frames)++; }
  void onStreamEnd(std::string_view) override { ended = true; }
  bool isPlayer() const override { return false; }
};

class TranscoderTest : public ::testing::Test {
 protected:
  TranscoderTest()
      : log_(makeLogger(config_.get<core::LogConfig>(),
                        std::make_shared<spdlog::sinks::null_sink_mt>())),
        context_{loop_, metrics_, *log_, config_} {
    RenditionConfig low;
    low.name = "120p";
    low.height = 120;
    low.videoBitrate = 100000;
    low.preset = "ultrafast";
    LadderConfig ladder{"abr", true, {low}};
    TranscodeConfig& transcode = config_.edit<TranscodeConfig>();
    transcode.ladders = {ladder};
    transcode.workers = 2;
    transcode.maxQueueFrames = 500;  // no drops, even under a sanitizer
    config_.edit<AppsConfig>().apps[0].transcode = "abr";
    // The transcoder's handles do not keep a loop alive (a server's listeners do): without a
    // referenced handle uv_run would return at once.
    keepAlive_.start(60000, 60000, [] {});
    // Sanitizers are slow: the test's publisher stays.
    config_.edit<StreamsConfig>().publisherTimeoutMs = 600000;
    hub_ = std::make_unique<StreamHub>(context_, events_);
    transcoder_ = std::make_unique<Transcoder>(context_, *hub_, config_.get<TranscodeConfig>());
    events_.subscribe("", [this](const Event& e) { seen_.push_back(e.type + " " + e.stream); });
  }
  ~TranscoderTest() override {
    transcoder_.reset();
    hub_.reset();
  }

  Stream* publish() {
    SessionRecord& record =
        hub_->sessions().open(SessionRecord::Role::kPublisher, "rtmp", "127.0.0.1:1");
    auto stream = hub_->startPublishing("live", "cam", record);
    EXPECT_TRUE(stream.ok());
    return stream.ok() ? *stream : nullptr;
  }
  void feed(Stream& stream, SourceEncoder& source, int frames) {
    for (const auto& p : source.encode(frames)) stream.push(p, loop_.nowMs());
  }
  bool seen(const std::string& what) const {
    return std::find(seen_.begin(), seen_.end(), what) != seen_.end();
  }

  Config config_;
  Loop loop_;
  MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_;
  LoopContext context_;
  Timer keepAlive_{loop_};
  EventBus events_;
  std::unique_ptr<StreamHub> hub_;
  std::unique_ptr<Transcoder> transcoder_;
  std::vector<std::string> seen_;
};

TEST_F(TranscoderTest, RenditionStreamStartsWithTheSourceAndStopsWithIt) {
  CountingSink sink;
  events_.subscribe("rendition.started", [&](const Event& e) {
    if (Stream* rendition = hub_->find(e.stream)) rendition->addSink(sink);
  });
  SourceEncoder source(320, 240, 30, 15);
  Stream* stream = publish();
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(transcoder_->jobCount(), 1u);
  stream->push(source.config(), loop_.nowMs());
  size_t pushed = 0;
  auto feedCounting = [&](const std::vector<media::MediaPacketPtr>& packets) {
    for (const auto& p : packets) {
      stream->push(p, loop_.nowMs());
      ++pushed;
    }
  };
  feedCounting(source.encode(45));
  ASSERT_TRUE(runUntil(loop_, [&] { return hub_->find("live/cam/120p") != nullptr; }));
  Stream* rendition = hub_->find("live/cam/120p");
  EXPECT_EQ(rendition->renditionOf(), "live/cam");
  EXPECT_TRUE(seen("rendition.started live/cam/120p"));
  ASSERT_TRUE(runUntil(loop_, [&] { return sink.frames >= 10; }));
  EXPECT_EQ(sink.configs, 1u);
  EXPECT_EQ(rendition->info().video.height, 120u);
  EXPECT_EQ(rendition->info().video.width, 160u);

  feedCounting(source.encode(15));
  feedCounting(source.finish());
  hub_->stopPublishing(*stream, "publisher left");
  // What was queued is still transcoded (every frame), then the rendition ends.
  ASSERT_TRUE(runUntil(loop_, [&] { return sink.ended; }));
  EXPECT_EQ(sink.frames, pushed);
  EXPECT_EQ(hub_->find("live/cam/120p"), nullptr);
  EXPECT_TRUE(seen("rendition.stopped live/cam/120p"));
  EXPECT_FALSE(seen("stream.stopped live/cam/120p"));  // webhooks are for published streams
  EXPECT_EQ(transcoder_->jobCount(), 0u);
}

TEST_F(TranscoderTest, ReconnectStartsAFreshJob) {
  for (int round = 0; round < 3; ++round) {
    SourceEncoder source(320, 240, 30, 15);
    Stream* stream = publish();
    ASSERT_NE(stream, nullptr);
    stream->push(source.config(), loop_.nowMs());
    feed(*stream, source, 20);
    ASSERT_TRUE(runUntil(loop_, [&] { return hub_->find("live/cam/120p") != nullptr; }));
    // Stop while the workers are still busy with queued frames; the next round publishes
    // again at once, while the old job drains.
    feed(*stream, source, 20);
    hub_->stopPublishing(*stream, "reconnect");
  }
  ASSERT_TRUE(runUntil(loop_, [&] { return transcoder_->jobCount() == 0; }));
  EXPECT_EQ(hub_->find("live/cam/120p"), nullptr);
}

TEST_F(TranscoderTest, AdminSwitchTurnsALiveStreamOffAndOn) {
  SourceEncoder source(320, 240, 30, 15);
  Stream* stream = publish();
  stream->push(source.config(), loop_.nowMs());
  feed(*stream, source, 20);
  ASSERT_TRUE(runUntil(loop_, [&] { return hub_->find("live/cam/120p") != nullptr; }));

  ASSERT_TRUE(transcoder_->setEnabled("live", "cam", false).ok());
  EXPECT_EQ(transcoder_->jobCount(), 0u);
  EXPECT_EQ(hub_->find("live/cam/120p"), nullptr);
  TranscodeState off = transcoder_->state("live", "cam");
  EXPECT_FALSE(off.enabled);
  EXPECT_TRUE(off.overridden);

  ASSERT_TRUE(transcoder_->setEnabled("live", "cam", std::nullopt).ok());  // the app's setting
  EXPECT_EQ(transcoder_->jobCount(), 1u);  // the GOP cache restarts it at once
  feed(*stream, source, 20);
  ASSERT_TRUE(runUntil(loop_, [&] { return hub_->find("live/cam/120p") != nullptr; }));
  TranscodeState on = transcoder_->state("live", "cam");
  EXPECT_TRUE(on.running);
  EXPECT_EQ(on.ladder, "abr");
  EXPECT_EQ(on.renditions, std::vector<std::string>{"live/cam/120p"});

  EXPECT_EQ(transcoder_->setEnabled("live", "cam", true, "nope").error().code,
            "transcode.no_ladder");
  EXPECT_EQ(transcoder_->setEnabled("live", "a/b", true).error().code, "transcode.bad_name");
}

TEST_F(TranscoderTest, AFullQueueDropsFramesUpToTheNextKeyframe) {
  config_.edit<TranscodeConfig>().maxQueueFrames = 2;
  transcoder_.reset();  // one transcoder per registry: its metric names are its own
  transcoder_ = std::make_unique<Transcoder>(context_, *hub_, config_.get<TranscodeConfig>());
  SourceEncoder source(320, 240, 30, 15);
  Stream* stream = publish();
  stream->push(source.config(), loop_.nowMs());
  // Pushed faster than any worker encodes: the two-frame queue overflows. The stream goes on
  // (the decoder holds frames back for B-frame reordering) until a rendition comes out.
  feed(*stream, source, 90);
  for (int i = 0; i < 40 && hub_->find("live/cam/120p") == nullptr; ++i) {
    feed(*stream, source, 1);
    runUntil(
        loop_, [&] { return hub_->find("live/cam/120p") != nullptr; },
        std::chrono::milliseconds(100));
  }
  ASSERT_NE(hub_->find("live/cam/120p"), nullptr);
  TranscodeState state = transcoder_->state("live", "cam");
  EXPECT_GT(state.framesDropped, 0u);
  EXPECT_LE(state.queueDepth, 2u);
  std::string text = metrics_.render();
  // Labelled by the public id, never the key (core/stream_name.h).
  EXPECT_NE(text.find("tidecast_core_transcode_dropped_frames{stream=\"" +
                      publicStreamName("live/cam") + "\"}"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("live/cam"), std::string::npos) << text;
  EXPECT_NE(text.find("tidecast_core_transcode_jobs 1"), std::string::npos);
}

TEST_F(TranscoderTest, RenditionStreamsAreNotTranscodedAgain) {
  SourceEncoder source(320, 240, 30, 15);
  Stream* stream = publish();
  stream->push(source.config(), loop_.nowMs());
  feed(*stream, source, 20);
  ASSERT_TRUE(runUntil(loop_, [&] { return hub_->find("live/cam/120p") != nullptr; }));
  EXPECT_EQ(transcoder_->jobCount(), 1u);
  EXPECT_EQ(hub_->find("live/cam/120p/120p"), nullptr);
}

// Records a rendition's audio packets.
struct AudioSink : StreamSink {
  std::vector<media::MediaPacketPtr> audio;
  bool ended = false;
  void onPacket(const media::MediaPacketPtr& p) override {
    if (p->track == media::TrackType::kAudio) audio.push_back(p);
  }
  void onStreamEnd(std::string_view) override { ended = true; }
  bool isPlayer() const override { return false; }
};

TEST_F(TranscoderTest, OpusSourceGivesEveryRenditionTheSameAacTrack) {
  TranscodeConfig& transcode = config_.edit<TranscodeConfig>();
  RenditionConfig second = transcode.ladders[0].renditions[0];
  second.name = "96p";
  second.height = 96;
  transcode.ladders[0].renditions.push_back(second);
  transcoder_.reset();
  transcoder_ = std::make_unique<Transcoder>(context_, *hub_, transcode);
  std::map<std::string, AudioSink> sinks;
  events_.subscribe("rendition.started", [&](const Event& e) {
    if (Stream* rendition = hub_->find(e.stream)) rendition->addSink(sinks[e.stream]);
  });
  SourceEncoder video(320, 240, 30, 15);
  ToneSource audio = ToneSource::opus(1000);
  Stream* stream = publish();
  ASSERT_NE(stream, nullptr);
  stream->push(video.config(), loop_.nowMs());
  stream->push(audio.config(), loop_.nowMs());
  // 3 s interleaved as a publisher sends them: per 100 ms, 3 video frames and 5 Opus frames.
  for (int step = 0; step < 30; ++step) {
    for (const auto& p : video.encode(3)) stream->push(p, loop_.nowMs());
    for (const auto& p : audio.encode(5)) stream->push(p, loop_.nowMs());
  }
  for (const auto& p : video.finish()) stream->push(p, loop_.nowMs());
  // Renditions start only while their source is live.
  ASSERT_TRUE(runUntil(loop_, [&] { return sinks.size() == 2; }));
  hub_->stopPublishing(*stream, "publisher left");
  ASSERT_TRUE(
      runUntil(loop_, [&] { return sinks["live/cam/120p"].ended && sinks["live/cam/96p"].ended; }));
  const auto& high = sinks["live/cam/120p"].audio;
  const auto& low = sinks["live/cam/96p"].audio;
  ASSERT_GT(high.size(), 100u);  // ~3 s of 21.3 ms frames
  // An AAC configuration first, then AAC frames on a continuous timeline.
  EXPECT_TRUE(high.front()->config);
  for (const auto& p : high) EXPECT_EQ(p->codec, media::Codec::kAac);
  for (size_t i = 2; i < high.size(); ++i) {
    int64_t step = high[i]->dts - high[i - 1]->dts;
    EXPECT_TRUE(step == 21 || step == 22) << "packet " << i << " step " << step;
  }
  // One encode for both rungs: the renditions carry the very same packets (the one that
  // started later from the configuration on).
  ASSERT_FALSE(low.empty());
  EXPECT_TRUE(low.front()->config);
  auto first = std::find(high.begin(), high.end(), low[1]);
  ASSERT_NE(first, high.end());
  EXPECT_TRUE(std::equal(low.begin() + 1, low.end(), first));
  EXPECT_EQ(static_cast<size_t>(high.end() - first), low.size() - 1);
  EXPECT_EQ(transcoder_->jobCount(), 0u);
}

TEST_F(TranscoderTest, Mp2SourceGivesTheRenditionAnAacTrack) {
  std::map<std::string, AudioSink> sinks;
  events_.subscribe("rendition.started", [&](const Event& e) {
    if (Stream* rendition = hub_->find(e.stream)) rendition->addSink(sinks[e.stream]);
  });
  SourceEncoder video(320, 240, 30, 15);
  ToneSource audio = ToneSource::mp2(1000);  // as SRT sends it: frames only, no configuration
  Stream* stream = publish();
  ASSERT_NE(stream, nullptr);
  stream->push(video.config(), loop_.nowMs());
  // 2.4 s interleaved: per 120 ms, 4 video frames and 5 MP2 frames (24 ms each).
  for (int step = 0; step < 20; ++step) {
    for (const auto& p : video.encode(4)) stream->push(p, loop_.nowMs());
    for (const auto& p : audio.encode(5)) stream->push(p, loop_.nowMs());
  }
  for (const auto& p : video.finish()) stream->push(p, loop_.nowMs());
  ASSERT_TRUE(runUntil(loop_, [&] { return sinks.size() == 1; }));
  // The job's audio counters in /metrics: every MP2 frame in, none dropped, AAC out.
  auto metric = [&](const std::string& name) {
    std::string text = metrics_.render();
    std::string series = "tidecast_core_transcode_audio_" + name + "_frames{stream=\"" +
                         publicStreamName("live/cam") + "\"} ";
    size_t at = text.find(series);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size()));
  };
  EXPECT_EQ(metric("input"), 100.0);
  EXPECT_EQ(metric("dropped"), 0.0);
  ASSERT_TRUE(runUntil(loop_, [&] { return metric("output") >= 100.0; }));  // 2.4 s of 21.3 ms
  hub_->stopPublishing(*stream, "publisher left");
  ASSERT_TRUE(runUntil(loop_, [&] { return sinks["live/cam/120p"].ended; }));
  const auto& aac = sinks["live/cam/120p"].audio;
  ASSERT_GT(aac.size(), 80u);  // ~2.4 s of 21.3 ms frames
  EXPECT_TRUE(aac.front()->config);
  for (const auto& p : aac) EXPECT_EQ(p->codec, media::Codec::kAac);
  for (size_t i = 2; i < aac.size(); ++i) {
    int64_t step = aac[i]->dts - aac[i - 1]->dts;
    EXPECT_TRUE(step == 21 || step == 22) << "packet " << i << " step " << step;
  }
  // The AAC covers the source's audio to its end (2.4 s later); it starts with the rendition's
  // first video (the AAC encoded before that is not sent), a few frames in.
  EXPECT_GE(aac[1]->dts, 1000 - 32);
  EXPECT_LT(aac[1]->dts, 1000 + 150);
  EXPECT_NEAR(static_cast<double>(aac.back()->dts), 1000.0 + 2400, 3 * 21.4);
  EXPECT_EQ(transcoder_->jobCount(), 0u);
}

}  // namespace
}  // namespace tidecast::core::transcode
