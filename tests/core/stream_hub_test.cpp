#include "core/stream_hub.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>

#include "core/backlog_policy.h"
#include "core/log.h"
#include "core/stream_name.h"

namespace tidecast::core {
namespace {

using media::MediaPacket;
using media::MediaPacketPtr;
using media::TrackType;

MediaPacketPtr packet(TrackType track, int64_t dts, bool keyframe = false, bool config = false,
                      size_t size = 100) {
  auto p = std::make_shared<MediaPacket>();
  p->track = track;
  p->dts = dts;
  p->keyframe = keyframe;
  p->config = config;
  p->data = Slice::copyOf(std::string(size, 'x'));
  return p;
}

struct RecordingSink : StreamSink {
  std::vector<MediaPacketPtr> got;
  std::string endReason;
  std::function<void()> onEach;
  void onPacket(const MediaPacketPtr& p) override {
    got.push_back(p);
    if (onEach) onEach();
  }
  void onStreamEnd(std::string_view reason) override { endReason = reason; }
};

class StreamHubTest : public ::testing::Test {
 protected:
  StreamHubTest()
      : log_(makeLogger(config_.get<core::LogConfig>(),
                        std::make_shared<spdlog::sinks::ostream_sink_mt>(logText_))),
        context_{loop_, metrics_, *log_, config_} {
    events_.subscribe("", [this](const Event& e) { seen_.push_back(e.type + " " + e.stream); });
  }

  std::unique_ptr<StreamHub> makeHub() { return std::make_unique<StreamHub>(context_, events_); }
  SessionRecord& publisher() {
    return hubSessions_->open(SessionRecord::Role::kPublisher, "rtmp", "127.0.0.1:5000");
  }

  Config config_;
  Loop loop_;
  MetricsRegistry metrics_;
  std::ostringstream logText_;  // what the hub logged
  std::shared_ptr<spdlog::logger> log_;
  LoopContext context_;
  EventBus events_;
  std::vector<std::string> seen_;
  SessionRegistry* hubSessions_ = nullptr;
};

TEST_F(StreamHubTest, PublishAnnouncesAndRefusesASecondPublisher) {
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  auto first = hub->startPublishing("live", "abc", publisher());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->name(), "live/abc");
  auto second = hub->startPublishing("live", "abc", publisher());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "hub.already_publishing");
  EXPECT_EQ(seen_, std::vector<std::string>{"stream.started live/abc"});
}

TEST_F(StreamHubTest, LabelsAndLogLinesNameStreamsByTheirPublicIdNeverByTheKey) {
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  const std::string key = "sk_live_7Hq2ZpX0aa";
  const std::string id = publicStreamName("live/" + key);  // live/k-<12 hex>
  Stream* stream = *hub->startPublishing("live", key, publisher());
  ASSERT_TRUE(hub->startRendition("live/" + key, "480p", publisher()).ok());
  auto again = hub->startPublishing("live", key, publisher());
  ASSERT_FALSE(again.ok());
  auto rendition = hub->startRendition("live/" + key, "480p", publisher());
  ASSERT_FALSE(rendition.ok());
  const std::string metrics = metrics_.render();
  hub->stopPublishing(*hub->find("live/" + key + "/480p"), "done");
  hub->stopPublishing(*stream, "done");
  log_->flush();
  const std::string log = logText_.str();

  EXPECT_NE(metrics.find("tidecast_core_stream_players{stream=\"" + id + "\"} 0"),
            std::string::npos)
      << metrics;
  EXPECT_NE(
      metrics.find("tidecast_core_stream_bitrate_bits_per_second{stream=\"" + id + "/480p\"} 0"),
      std::string::npos)
      << metrics;
  for (const char* line : {"stream.started stream=", "rendition.started stream=",
                           "rendition.stopped stream=", "stream.stopped stream="}) {
    std::string expected = line + id;
    if (std::string_view(line).starts_with("rendition")) expected += "/480p";
    expected += ' ';
    EXPECT_NE(log.find(expected), std::string::npos) << line << "\n" << log;
  }
  EXPECT_EQ(metrics.find(key), std::string::npos) << metrics;
  EXPECT_EQ(log.find(key), std::string::npos) << log;
  EXPECT_EQ(again.error().message.find(key), std::string::npos) << again.error().message;
  EXPECT_EQ(rendition.error().message.find(key), std::string::npos) << rendition.error().message;
  RecordingSink sink;
  auto notLive = hub->subscribe("live", key, sink, publisher());
  ASSERT_FALSE(notLive.ok());
  EXPECT_EQ(notLive.error().message.find(key), std::string::npos) << notLive.error().message;
}

TEST_F(StreamHubTest, ChecksAppAndKey) {
  config_.edit<AppsConfig>().apps = {
      AppConfig{.name = "live", .anyKey = false, .publishKeys = {"secret"}}};
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  EXPECT_EQ(hub->startPublishing("live", "wrong", publisher()).error().code, "hub.bad_key");
  EXPECT_EQ(hub->startPublishing("other", "secret", publisher()).error().code, "hub.unknown_app");
  EXPECT_EQ(hub->startPublishing("live", "../x", publisher()).error().code, "hub.bad_name");
  EXPECT_TRUE(hub->startPublishing("live", "secret", publisher()).ok());
}

TEST_F(StreamHubTest, TakeoverKicksThePreviousPublisher) {
  config_.edit<AppsConfig>().apps = {AppConfig{.name = "live", .takeover = true}};
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  SessionRecord& old = publisher();
  std::string kicked;
  Stream* stream = *hub->startPublishing("live", "k", old);
  old.close = [&](std::string_view reason) {
    kicked = reason;
    hub->stopPublishing(*stream, reason);
  };
  ASSERT_TRUE(hub->startPublishing("live", "k", publisher()).ok());
  EXPECT_EQ(kicked, "taken over by a new publisher");
  EXPECT_NE(hub->find("live/k")->publisherSession(), old.id);
}

TEST_F(StreamHubTest, NewPlayerGetsConfigsAndTheGopFromTheLastKeyframe) {
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  Stream* stream = *hub->startPublishing("live", "k", publisher());
  stream->push(packet(TrackType::kData, 0), 0);
  stream->push(packet(TrackType::kVideo, 0, true, true), 0);
  stream->push(packet(TrackType::kAudio, 0, false, true), 0);
  stream->push(packet(TrackType::kVideo, 0, true), 0);
  stream->push(packet(TrackType::kVideo, 33), 0);
  stream->push(packet(TrackType::kVideo, 66, true), 0);  // new GOP
  stream->push(packet(TrackType::kAudio, 70), 0);
  stream->push(packet(TrackType::kVideo, 100), 0);
  RecordingSink sink;
  SessionRecord& player = hub->sessions().open(SessionRecord::Role::kPlayer, "rtmp", "p");
  ASSERT_TRUE(hub->subscribe("live", "k", sink, player).ok());
  ASSERT_EQ(sink.got.size(), 6u);  // metadata, 2 configs, keyframe@66, audio@70, video@100
  EXPECT_EQ(sink.got[3]->dts, 66);
  EXPECT_TRUE(sink.got[3]->keyframe);
  stream->push(packet(TrackType::kVideo, 133), 0);
  EXPECT_EQ(sink.got.size(), 7u);
  EXPECT_EQ(sink.got.back()->data.data(), stream->gop().back()->data.data())
      << "shared, not copied";
  hub->stopPublishing(*stream, "test over");  // before the sink goes out of scope
}

TEST_F(StreamHubTest, Mp2AudioIsDescribedByItsFrames) {
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  Stream* stream = *hub->startPublishing("live", "k", publisher());
  auto frame = std::make_shared<MediaPacket>();  // MP2 from SRT: no configuration packet
  frame->track = TrackType::kAudio;
  frame->codec = media::Codec::kMp2;
  const uint8_t header[] = {0xff, 0xfc, 0xa4, 0xc0};  // Layer II, 192 kb/s, 48 kHz, mono
  frame->data = Slice::copyOf(header, sizeof header);
  stream->push(frame, 0);
  EXPECT_EQ(stream->info().audioCodec, media::Codec::kMp2);
  EXPECT_EQ(stream->info().audio.sampleRate, 48000u);
  EXPECT_EQ(stream->info().audio.channels, 1);
  EXPECT_EQ(stream->stats().audioFrames, 1u);
  hub->stopPublishing(*stream, "test over");
}

TEST_F(StreamHubTest, SinkRemovingItselfDuringFanOutIsSafe) {
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  Stream* stream = *hub->startPublishing("live", "k", publisher());
  RecordingSink a, b, c;
  a.onEach = [&] { stream->removeSink(a); };
  for (auto* s : {&a, &b, &c}) stream->addSink(*s);
  stream->push(packet(TrackType::kVideo, 0), 0);
  stream->push(packet(TrackType::kVideo, 1), 0);
  EXPECT_EQ(a.got.size(), 1u);
  EXPECT_EQ(b.got.size(), 2u);
  EXPECT_EQ(c.got.size(), 2u);
  EXPECT_EQ(stream->sinkCount(), 2u);
  hub->stopPublishing(*stream, "test over");  // before the sinks go out of scope
}

TEST_F(StreamHubTest, StoppingEndsPlayersAndAnnounces) {
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  Stream* stream = *hub->startPublishing("live", "k", publisher());
  RecordingSink sink;
  SessionRecord& player = hub->sessions().open(SessionRecord::Role::kPlayer, "http-flv", "p");
  ASSERT_TRUE(hub->subscribe("live", "k", sink, player).ok());
  hub->stopPublishing(*stream, "publisher left");
  EXPECT_EQ(sink.endReason, "publisher left");
  EXPECT_EQ(hub->find("live/k"), nullptr);
  EXPECT_EQ(seen_.back(), "stream.stopped live/k");
  EXPECT_EQ(hub->subscribe("live", "k", sink, player).error().code, "hub.not_found");
}

TEST_F(StreamHubTest, SilentPublisherTimesOut) {
  config_.edit<StreamsConfig>().publisherTimeoutMs = 50;
  auto hub = makeHub();
  hubSessions_ = &hub->sessions();
  SessionRecord& rec = publisher();
  std::string reason;
  Stream* stream = *hub->startPublishing("live", "k", rec);
  rec.close = [&](std::string_view r) {
    reason = r;
    hub->stopPublishing(*stream, r);
  };
  Timer keepAlive(loop_);
  keepAlive.start(3000, 0, [] {});
  while (reason.empty()) uv_run(loop_.raw(), UV_RUN_ONCE);
  EXPECT_EQ(reason, "publisher timeout");
  EXPECT_EQ(hub->find("live/k"), nullptr);
  keepAlive.stop();
}

TEST(BacklogPolicy, SkipsToTheNextKeyframeThenDropsIfStillBehind) {
  BacklogPolicy policy({.maxBytes = 1000, .maxMs = 5000});
  using D = BacklogPolicy::Decision;
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 0), 10), D::kSend);
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 33), 5000), D::kSkip);
  EXPECT_EQ(policy.decide(*packet(TrackType::kAudio, 40), 10), D::kSkip) << "until a keyframe";
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 50, false, true), 5000), D::kSend)
      << "configs always go";
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 66, true), 10), D::kSend);
  EXPECT_FALSE(policy.skipping());
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 99), 5000), D::kSkip);
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 133, true), 5000), D::kDrop);
}

TEST(BacklogPolicy, DropsWhenSkippingLastsTooLong) {
  BacklogPolicy policy({.maxBytes = 1000, .maxMs = 100});
  EXPECT_EQ(policy.decide(*packet(TrackType::kVideo, 0), 5000), BacklogPolicy::Decision::kSkip);
  EXPECT_EQ(policy.decide(*packet(TrackType::kAudio, 200), 0), BacklogPolicy::Decision::kDrop);
}

}  // namespace
}  // namespace tidecast::core
