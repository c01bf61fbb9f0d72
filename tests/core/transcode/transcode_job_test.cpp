#include "core/transcode/transcode_job.h"

#include <gtest/gtest.h>

#include <future>

#include "tests/core/transcode/source_encoder.h"
#include "tests/core/transcode/tone_source.h"

namespace tidecast::core::transcode {
namespace {

using testing::SourceEncoder;
using testing::ToneSource;

// The job's audio has a bound of its own (4 packets per video frame allowed) and is not
// dropped when the video restarts from a keyframe.
TEST(TranscodeJobTest, AudioQueueIsBoundedAndKeptWhenTheVideoRestarts) {
  WorkerPool pool(1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  pool.submit([gate] { gate.wait(); });  // the only worker is busy: nothing is taken
  TranscodeConfig config;
  config.maxQueueFrames = 2;  // audio: 8
  RenditionConfig rung;
  rung.name = "low";
  rung.height = 96;
  auto job = std::make_shared<TranscodeJob>("live/cam", std::vector<RenditionConfig>{rung}, config,
                                            pool, [] {});
  ToneSource audio = ToneSource::opus();
  job->offer(audio.config());
  for (const auto& p : audio.encode(20)) job->offer(p);
  EXPECT_EQ(job->counters().audioIn.load(), 20u);
  EXPECT_EQ(job->counters().audioDropped.load(), 13u);  // 21 offered, 8 kept
  EXPECT_EQ(job->queueDepth(), 0u);                     // video frames only

  SourceEncoder video(160, 96, 30, 1, 0);  // every frame a keyframe
  job->offer(video.config());
  for (const auto& p : video.encode(4)) job->offer(p);
  EXPECT_EQ(job->queueDepth(), 2u);  // restarted at the last keyframes, not grown
  EXPECT_GT(job->counters().framesDropped.load(), 0u);
  // Audio kept its place: one more packet is still over its bound.
  for (const auto& p : audio.encode(1)) job->offer(p);
  EXPECT_EQ(job->counters().audioDropped.load(), 14u);

  job->cancel();
  release.set_value();
}

}  // namespace
}  // namespace tidecast::core::transcode
