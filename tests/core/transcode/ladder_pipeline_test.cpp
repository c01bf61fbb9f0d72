#include "core/transcode/ladder_pipeline.h"

#include <gtest/gtest.h>

#include <set>

#include "core/media/h264.h"
#include "tests/core/transcode/source_encoder.h"

namespace tidecast::core::transcode {
namespace {

using testing::SourceEncoder;

std::vector<RenditionConfig> twoRungs() {
  RenditionConfig a;
  a.name = "240p";
  a.height = 240;
  a.videoBitrate = 300000;
  a.preset = "ultrafast";
  RenditionConfig b;
  b.name = "120p";
  b.height = 120;
  b.videoBitrate = 100000;
  b.preset = "ultrafast";
  return {a, b};
}

struct Transcoded {
  std::vector<RungOutput> out;
  std::set<int64_t> sourceKeyPts;
  size_t sourceFrames = 0;
};

Transcoded transcode(LadderPipeline& pipeline, SourceEncoder& source, int frames) {
  Transcoded run;
  auto feed = [&](const media::MediaPacketPtr& packet) {
    if (!packet->config) {
      ++run.sourceFrames;
      if (packet->keyframe) run.sourceKeyPts.insert(packet->dts + packet->cts);
    }
    Status status = pipeline.push(*packet, run.out);
    EXPECT_TRUE(status.ok()) << status.error().message;
  };
  feed(source.config());
  for (const auto& packet : source.encode(frames)) feed(packet);
  for (const auto& packet : source.finish()) feed(packet);
  pipeline.flush(run.out);
  return run;
}

TEST(LadderPipeline, EncodesEveryRungAtItsSizeWithIdrsExactlyAtSourceKeyframes) {
  SourceEncoder source(320, 240, 30, 15);
  LadderPipeline pipeline(twoRungs(), 1);
  Transcoded run = transcode(pipeline, source, 60);
  ASSERT_EQ(run.sourceKeyPts.size(), 4u);

  for (size_t rung = 0; rung < 2; ++rung) {
    size_t configs = 0;
    size_t frames = 0;
    std::set<int64_t> keyPts;
    int64_t lastDts = INT64_MIN;
    for (const RungOutput& o : run.out) {
      if (o.rung != rung) continue;
      if (o.packet->config) {
        ++configs;
        auto avc = media::parseAvcConfig(o.packet->data.span());
        ASSERT_TRUE(avc.ok());
        auto info = media::videoInfoOf(*avc);
        ASSERT_TRUE(info.ok());
        EXPECT_EQ(info->height, rung == 0 ? 240u : 120u);
        EXPECT_EQ(info->width, rung == 0 ? 320u : 160u);
        continue;
      }
      ASSERT_EQ(configs, 1u) << "a configuration comes before the first frame";
      ++frames;
      EXPECT_GT(o.packet->dts, lastDts);
      lastDts = o.packet->dts;
      EXPECT_EQ(o.packet->keyframe, media::h264IsKeyframe(o.packet->data.span(), 4));
      if (o.packet->keyframe) keyPts.insert(o.packet->dts + o.packet->cts);
    }
    EXPECT_EQ(frames, run.sourceFrames) << "rung " << rung;
    EXPECT_EQ(keyPts, run.sourceKeyPts) << "rung " << rung;
  }
  EXPECT_EQ(pipeline.outputSize(1), (FrameSize{160, 120}));
}

TEST(LadderPipeline, LowerFrameRateKeepsKeyframes) {
  SourceEncoder source(320, 240, 30, 15);
  auto rungs = twoRungs();
  rungs.resize(1);
  rungs[0].fps = 15;
  LadderPipeline pipeline(rungs, 1);
  Transcoded run = transcode(pipeline, source, 60);
  std::set<int64_t> keyPts;
  size_t frames = 0;
  for (const RungOutput& o : run.out) {
    if (o.packet->config) continue;
    ++frames;
    if (o.packet->keyframe) keyPts.insert(o.packet->dts + o.packet->cts);
  }
  EXPECT_NEAR(static_cast<double>(frames), run.sourceFrames / 2.0, 2);
  EXPECT_EQ(keyPts, run.sourceKeyPts);
}

TEST(LadderPipeline, StartsAtTheFirstKeyframeAndRejectsUnsupportedCodecs) {
  SourceEncoder source(320, 240, 30, 15);
  LadderPipeline pipeline(twoRungs(), 1);
  std::vector<RungOutput> out;
  media::MediaPacket av1;
  av1.codec = media::Codec::kAv1;
  av1.config = true;
  av1.data = Slice::copyOf("\x81\x00\x0c\x00", 4);
  EXPECT_EQ(pipeline.push(av1, out).error().code, "transcode.unsupported");

  ASSERT_TRUE(pipeline.push(*source.config(), out).ok());
  auto packets = source.encode(30);
  // Without the opening keyframe nothing can be decoded: frames before the next are skipped.
  for (size_t i = 1; i < packets.size(); ++i) ASSERT_TRUE(pipeline.push(*packets[i], out).ok());
  for (const RungOutput& o : out) {
    if (!o.packet->config) {
      EXPECT_GE(o.packet->dts + o.packet->cts, 1500);
    }
  }
}

TEST(LadderPipeline, GarbageFramesAreErrorsNotCrashes) {
  SourceEncoder source(320, 240, 30, 15);
  LadderPipeline pipeline(twoRungs(), 1);
  std::vector<RungOutput> out;
  ASSERT_TRUE(pipeline.push(*source.config(), out).ok());
  media::MediaPacket junk;
  junk.codec = media::Codec::kH264;
  junk.keyframe = true;
  junk.data = Slice::copyOf("\x00\x00\x00\x05\x65\xff\xff\xff\xff", 9);
  (void)pipeline.push(junk, out);  // may fail: what matters is that the next GOP decodes
  for (const auto& packet : source.encode(30)) (void)pipeline.push(*packet, out);
  pipeline.flush(out);
  size_t frames = 0;
  for (const RungOutput& o : out) frames += o.packet->config ? 0 : 1;
  EXPECT_GT(frames, 0u);
}

}  // namespace
}  // namespace tidecast::core::transcode
