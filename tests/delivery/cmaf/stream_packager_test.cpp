#include "delivery/cmaf/stream_packager.h"

#include <gtest/gtest.h>

#include "tests/delivery/cmaf/bmff_reader.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::cmaf {
namespace {

using core::media::TrackType;
using testutil::flatten;
using testutil::Fragment;
using testutil::SyntheticSource;
using testutil::walk;

constexpr uint64_t kVideoTicksPerMs = 90;

std::vector<Fragment> fragmentsOf(const core::SliceList& bytes) {
  std::vector<Fragment> fragments;
  EXPECT_EQ(testutil::parseFragments(walk(flatten(bytes)), fragments), "");
  return fragments;
}

// Every complete segment of the track: parts back to back, starting where the previous
// segment ended (unless `gapAllowed`), fragments self-consistent and timed like their part.
void expectContinuous(const CmafTrack& track) {
  const Segment* previous = nullptr;
  for (const Segment& s : track.segments()) {
    if (previous != nullptr) {
      EXPECT_EQ(s.start, previous->start + previous->duration) << "segment " << s.msn;
      EXPECT_EQ(s.msn, previous->msn + 1);
    }
    uint64_t at = s.start;
    for (const auto& part : s.parts) {
      EXPECT_EQ(part->start, at) << "segment " << s.msn << " part " << part->index;
      auto fragments = fragmentsOf(part->bytes);
      if (fragments.size() != 1) continue;
      EXPECT_EQ(fragments[0].baseDecodeTime, part->start);
      EXPECT_EQ(fragments[0].duration(), part->duration) << "segment " << s.msn;
      at += part->duration;
    }
    if (s.complete) {
      EXPECT_EQ(at, s.start + s.duration);
    }
    previous = &s;
  }
}

class StreamPackagerTest : public ::testing::Test {
 protected:
  StreamPackagerTest() { harness_.settings.windowSegments = 5; }

  StreamPackager& packager() { return harness_.packager(); }
  SyntheticSource& publish() { return harness_.publish(); }
  // New decoder parameters in the current session: 1080p H.264, mono AAC.
  void newVideoParameters() {
    streams_.back()->push(testutil::configPacket(TrackType::kVideo, core::media::Codec::kH264,
                                                 core::media::testdata::kAvcC1920x1080High),
                          0);
  }
  void newAudioParameters() {
    streams_.back()->push(testutil::configPacket(TrackType::kAudio, core::media::Codec::kAac,
                                                 core::media::testdata::kAscLc48000Mono),
                          0);
  }

  testutil::PackagerHarness harness_;
  CmafConfig& settings_ = harness_.settings;
  std::vector<std::unique_ptr<core::Stream>>& streams_ = harness_.streams;
};

TEST_F(StreamPackagerTest, TracksAppearWithTheirConfigurations) {
  SyntheticSource& source = publish();
  EXPECT_TRUE(packager().live());
  EXPECT_EQ(packager().video(), nullptr);
  EXPECT_EQ(packager().leader(), nullptr);
  source.sendConfigs();
  ASSERT_NE(packager().video(), nullptr);
  ASSERT_NE(packager().audio(), nullptr);
  EXPECT_EQ(packager().leader(), packager().video());
  EXPECT_EQ(packager().track("video"), packager().video());
  EXPECT_EQ(packager().track("audio"), packager().audio());
  EXPECT_EQ(packager().track("other"), nullptr);
  EXPECT_EQ(packager().audio()->timescale(), 48000u);
}

TEST_F(StreamPackagerTest, VideoPartsOf200MsAndSegmentsFromKeyframePastTheTarget) {
  SyntheticSource& source = publish();
  source.audio = false;
  source.sendConfigs();
  source.runUntil(6100);
  const CmafTrack& video = *packager().video();
  ASSERT_GE(video.segments().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Segment& s = video.segments()[i];
    EXPECT_EQ(s.msn, i);
    EXPECT_TRUE(s.complete);
    EXPECT_EQ(s.start, i * 2000 * kVideoTicksPerMs);  // keyframes at 0, 2 s, 4 s (gop 1 s)
    EXPECT_EQ(s.duration, 2000 * kVideoTicksPerMs);
    EXPECT_EQ(s.samples, 60u);
    ASSERT_EQ(s.parts.size(), 10u);
    for (const auto& part : s.parts) {
      EXPECT_EQ(part->duration, 200 * kVideoTicksPerMs);
      EXPECT_EQ(part->independent, part->index == 0 || part->index == 5);  // a keyframe per 1 s
    }
    auto fragments = fragmentsOf(video.segmentBytes(s));
    ASSERT_FALSE(fragments.empty());
    EXPECT_TRUE(fragments[0].styp);
    EXPECT_EQ(fragments[0].trun.samples[0].flags, 0x02000000u);  // starts with its keyframe
  }
  EXPECT_EQ(video.maxSegmentDuration(), 2000 * kVideoTicksPerMs);
  expectContinuous(video);
}

TEST_F(StreamPackagerTest, SegmentsCloseAtTheFirstKeyframePastTheTarget) {
  settings_.segmentTargetMs = 1500;
  SyntheticSource& source = publish();
  source.audio = false;
  source.sendConfigs();
  source.runUntil(4100);
  const CmafTrack& video = *packager().video();
  ASSERT_GE(video.segments().size(), 2u);
  // Keyframes every second: 1 s is short of 1.5 s, so segments run 2 s.
  EXPECT_EQ(video.segments()[0].duration, 2000 * kVideoTicksPerMs);
  EXPECT_EQ(video.segments()[1].start, 2000 * kVideoTicksPerMs);
}

TEST_F(StreamPackagerTest, PartIdsAreConsecutiveAndSegmentBytesAreItsParts) {
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(7000);
  for (CmafTrack* track : {packager().video(), packager().audio()}) {
    ASSERT_NE(track, nullptr);
    uint64_t expected = track->segments().front().parts.front()->id;
    for (const Segment& s : track->segments()) {
      testutil::Bytes joined;
      for (const auto& part : s.parts) {
        EXPECT_EQ(part->id, expected++);
        EXPECT_EQ(part->msn, s.msn);
        EXPECT_EQ(track->part(part->id), part);
        auto bytes = flatten(part->bytes);
        EXPECT_EQ(bytes.size(), part->size);
        joined.insert(joined.end(), bytes.begin(), bytes.end());
      }
      EXPECT_EQ(flatten(track->segmentBytes(s)), joined);
      EXPECT_EQ(joined.size(), s.size);
    }
    EXPECT_EQ(track->nextPartId(), expected);
  }
}

TEST_F(StreamPackagerTest, AudioPartsAndSegmentsFollowTheVideo) {
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(6100);
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  ASSERT_GE(audio.segments().size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Segment& a = audio.segments()[i];
    const Segment& v = video.segments()[i];
    EXPECT_EQ(a.msn, v.msn);
    EXPECT_TRUE(a.complete);
    // Audio cuts at the first frame at or after the video boundary: within one AAC frame.
    double aStart = static_cast<double>(a.start) / 48000;
    double vStart = static_cast<double>(v.start) / 90000;
    EXPECT_GE(aStart + 1e-9, vStart);
    EXPECT_LT(aStart, vStart + 1024.0 / 48000);
    for (const auto& part : a.parts) {
      if (part.get() == a.parts.back().get()) continue;
      EXPECT_NEAR(static_cast<double>(part->duration) / 48000, 0.2, 1024.0 / 48000);
      EXPECT_TRUE(part->independent);
    }
  }
  // Sample counting: durations are exactly 1024 ticks.
  for (const Fragment& f : fragmentsOf(audio.segmentBytes(audio.segments()[1]))) {
    for (const auto& s : f.trun.samples) EXPECT_EQ(s.duration, 1024u);
  }
  expectContinuous(audio);
}

TEST_F(StreamPackagerTest, AudioBeforeTheFirstVideoKeyframeIsDropped) {
  SyntheticSource& source = publish();
  source.sendConfigs();
  auto& stream = *streams_.back();
  for (int64_t t = 0; t < 500; t += 21) stream.push(testutil::audioFrame(t), 0);
  stream.push(testutil::videoFrame(500, false), 0);  // not a keyframe: still nothing
  stream.push(testutil::audioFrame(510), 0);
  EXPECT_TRUE(packager().audio()->segments().empty());
  EXPECT_TRUE(packager().video()->segments().empty());
  source.baseMs = 533;
  source.runUntil(3000);
  const CmafTrack& audio = *packager().audio();
  ASSERT_FALSE(audio.segments().empty());
  EXPECT_EQ(audio.segments()[0].msn, 0u);
  EXPECT_NEAR(static_cast<double>(audio.segments()[0].start) / 48, 533, 2);
  EXPECT_EQ(packager().video()->segments()[0].start, 533 * kVideoTicksPerMs);
  // The first audio sample packaged is the one at 533 ms (payload bytes carry the dts).
  auto bytes = flatten(audio.segmentBytes(audio.segments()[0]));
  std::vector<Fragment> fragments;
  ASSERT_EQ(testutil::parseFragments(walk(bytes), fragments), "");
  EXPECT_EQ(bytes[fragments[0].mdatPayloadOffset], 533 & 0x7f);
}

TEST_F(StreamPackagerTest, BFramesGiveCompositionOffsets) {
  SyntheticSource& source = publish();
  source.audio = false;
  source.bFrames = true;
  source.sendConfigs();
  source.runUntil(2500);
  auto fragments = fragmentsOf(packager().video()->segmentBytes(packager().video()->segments()[0]));
  ASSERT_FALSE(fragments.empty());
  const auto& samples = fragments[0].trun.samples;
  ASSERT_GE(samples.size(), 4u);
  EXPECT_EQ(fragments[0].trun.flags & 0x800u, 0x800u);
  EXPECT_EQ(samples[0].compositionOffset, 33 * 90);
  EXPECT_EQ(samples[1].compositionOffset, 100 * 90);
  EXPECT_EQ(samples[2].compositionOffset, 33 * 90);
}

TEST_F(StreamPackagerTest, WindowIsPrunedToWindowSegments) {
  settings_.windowSegments = 3;
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(20100);
  for (const CmafTrack* track : {packager().video(), packager().audio()}) {
    size_t complete = 0;
    for (const Segment& s : track->segments()) complete += s.complete;
    EXPECT_EQ(complete, 3u);
    EXPECT_EQ(track->segments().front().msn, 7u);
    EXPECT_EQ(track->segment(6), nullptr);
  }
  EXPECT_EQ(packager().periods().size(), 1u);
}

TEST_F(StreamPackagerTest, StreamEndCompletesTheOpenSegment) {
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(2700);
  uint64_t version = packager().version();
  streams_.back()->end("publisher left");
  EXPECT_FALSE(packager().live());
  EXPECT_GT(packager().version(), version);
  for (const CmafTrack* track : {packager().video(), packager().audio()}) {
    ASSERT_EQ(track->segments().size(), 2u);
    const Segment& last = track->segments().back();
    EXPECT_TRUE(last.complete);
    EXPECT_FALSE(track->hasOpenSegment());
    expectContinuous(*track);
  }
  // Video frames 60..80 (2000..2666 ms), the last one with the previous frame's duration.
  const Segment& last = packager().video()->segments().back();
  EXPECT_EQ(last.samples, 21u);
  int64_t lastDts = source.videoDts(80);
  int64_t lastDuration = lastDts - source.videoDts(79);
  EXPECT_EQ(last.start + last.duration,
            static_cast<uint64_t>(lastDts + lastDuration) * kVideoTicksPerMs);
}

TEST_F(StreamPackagerTest, ReconnectContinuesTheTimelineWithADiscontinuity) {
  SyntheticSource& first = publish();
  first.audio = false;
  first.sendConfigs();
  first.runUntil(4500);
  streams_.back()->end("publisher left");
  const CmafTrack& video = *packager().video();
  uint64_t end = video.segments().back().start + video.segments().back().duration;
  uint64_t lastMsn = video.segments().back().msn;

  SyntheticSource& second = publish();  // timestamps restart at 0
  second.audio = false;
  second.sendConfigs();
  second.runUntil(4500);
  EXPECT_TRUE(packager().live());
  const Segment* resumed = video.segment(lastMsn + 1);
  ASSERT_NE(resumed, nullptr);
  EXPECT_TRUE(resumed->discontinuity);
  EXPECT_EQ(resumed->discontinuitySequence, 1u);
  EXPECT_EQ(resumed->start, end);
  EXPECT_EQ(resumed->initVersion, 0u);  // same parameters: same init segment
  EXPECT_FALSE(video.segment(lastMsn + 2)->discontinuity);
  expectContinuous(video);

  ASSERT_EQ(packager().periods().size(), 2u);
  const Period& period = packager().periods()[1];
  EXPECT_EQ(period.id, 1u);
  EXPECT_TRUE(period.video.present);
  EXPECT_EQ(period.video.firstMsn, lastMsn + 1);
  EXPECT_EQ(period.video.start, end);
  EXPECT_FALSE(period.audio.present);
}

TEST_F(StreamPackagerTest, ReconnectWithAudioKeepsBothTracksNumberedTogether) {
  SyntheticSource& first = publish();
  first.sendConfigs();
  first.runUntil(4500);
  streams_.back()->end("publisher left");
  SyntheticSource& second = publish();
  second.sendConfigs();
  second.runUntil(4500);
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  ASSERT_EQ(video.segments().size(), audio.segments().size());
  for (size_t i = 0; i < video.segments().size(); ++i) {
    EXPECT_EQ(video.segments()[i].msn, audio.segments()[i].msn);
    EXPECT_EQ(video.segments()[i].discontinuity, audio.segments()[i].discontinuity);
  }
  EXPECT_TRUE(video.segment(3)->discontinuity);
  // The new session starts after everything packaged: no overlap on either track.
  const Segment& aBefore = *audio.segment(2);
  EXPECT_GE(audio.segment(3)->start, aBefore.start + aBefore.duration);
  EXPECT_LT(audio.segment(3)->start, aBefore.start + aBefore.duration + 2048);
  const Segment& vBefore = *video.segment(2);
  EXPECT_GE(video.segment(3)->start, vBefore.start + vBefore.duration);
  EXPECT_LT(video.segment(3)->start, vBefore.start + vBefore.duration + 1024 * 90000 / 48000);
  ASSERT_EQ(packager().periods().size(), 2u);
  EXPECT_TRUE(packager().periods()[1].audio.present);
  EXPECT_EQ(packager().periods()[1].audio.firstMsn, 3u);
}

// Regression: each track counted its own discontinuities, and only from its second segment
// on, so a track without segments at a discontinuity stayed one behind the other: HLS
// renditions disagreed on EXT-X-DISCONTINUITY-SEQUENCE and DASH put the audio of the new
// session into the old Period.
TEST_F(StreamPackagerTest, AudioJoiningAtAReconnectSharesTheDiscontinuitySequence) {
  harness_.publishFor(4500, true, false);  // video only: segments 0..2
  harness_.endSession();
  harness_.publishFor(4500, true, true);  // now with audio
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  ASSERT_FALSE(audio.segments().empty());
  EXPECT_EQ(audio.segments().front().msn, 3u);
  for (const Segment& a : audio.segments()) {
    ASSERT_NE(video.segment(a.msn), nullptr);
    EXPECT_EQ(a.discontinuitySequence, video.segment(a.msn)->discontinuitySequence) << a.msn;
    EXPECT_EQ(a.discontinuitySequence, 1u);
  }
  EXPECT_FALSE(audio.segments().front().discontinuity);  // its first segment: nothing before
  ASSERT_EQ(packager().periods().size(), 2u);
  EXPECT_FALSE(packager().periods()[0].audio.present);
  EXPECT_TRUE(packager().periods()[1].audio.present);
  EXPECT_EQ(packager().periods()[1].audio.firstMsn, 3u);
}

TEST_F(StreamPackagerTest, VideoJoiningAfterAnAudioChangeSharesTheDiscontinuitySequence) {
  SyntheticSource& source = publish();
  source.video = false;
  source.sendConfigs();
  source.runUntil(3000);  // audio leads: segments 0, 1 (in progress)
  newAudioParameters();
  source.runUntil(5000);
  source.video = true;  // video arrives: it leads from its first keyframe on
  source.videoFrames = 150;
  streams_.back()->push(testutil::h264Config(), 0);
  source.runUntil(9100);
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  ASSERT_FALSE(video.segments().empty());
  EXPECT_EQ(video.segments().front().discontinuitySequence, 1u);
  for (const Segment& v : video.segments()) {
    const Segment* a = audio.segment(v.msn);
    if (a != nullptr) {
      EXPECT_EQ(a->discontinuitySequence, v.discontinuitySequence) << v.msn;
    }
  }
  const Period& last = packager().periods().back();
  EXPECT_EQ(last.id, 1u);
  EXPECT_TRUE(last.video.present);
  EXPECT_TRUE(last.audio.present);
  EXPECT_FALSE(audio.init(last.audio.initVersion).empty());
}

// New audio parameters after a reconnect, once the video has opened its first segment of
// the session: one discontinuity, not two (the audio would skip a number).
TEST_F(StreamPackagerTest, NewParametersRightAfterAReconnectAreOneDiscontinuity) {
  harness_.publishFor(4500);
  harness_.endSession();
  SyntheticSource& source = publish();
  source.sendConfigs();
  streams_.back()->push(testutil::videoFrame(0, true), 0);  // video opens segment 3
  newAudioParameters();
  source.videoFrames = 1;
  source.runUntil(4500);
  for (const CmafTrack* track : {packager().video(), packager().audio()}) {
    const Segment* resumed = track->segment(3);
    ASSERT_NE(resumed, nullptr);
    EXPECT_TRUE(resumed->discontinuity);
    EXPECT_EQ(resumed->discontinuitySequence, 1u);
    EXPECT_EQ(track->segment(4)->discontinuitySequence, 1u);
  }
  EXPECT_EQ(packager().audio()->segment(3)->initVersion, 1u);
  EXPECT_EQ(packager().periods().back().id, 1u);
  EXPECT_EQ(packager().periods().back().audio.initVersion, 1u);
}

// Audio that starts while the video waits for its keyframe after new parameters joins the
// video's segment in progress: it takes that segment's sequence, not the coming one.
TEST_F(StreamPackagerTest, AudioJoiningAVideoSegmentTakesItsSequence) {
  SyntheticSource& source = publish();
  source.audio = false;
  source.sendConfigs();
  source.runUntil(700);
  newVideoParameters();
  source.audio = true;
  source.audioFrames = 33;  // 704 ms
  streams_.back()->push(testutil::aacConfig(), 0);
  source.runUntil(4100);
  harness_.endSession();
  harness_.publishFor(2100);  // and a reconnect: one more discontinuity on both
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  ASSERT_EQ(audio.segments().front().msn, 0u);
  for (const Segment& a : audio.segments()) {
    const Segment* v = video.segment(a.msn);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(a.discontinuitySequence, v->discontinuitySequence) << a.msn;
    EXPECT_EQ(a.discontinuity, v->discontinuity) << a.msn;
  }
  EXPECT_EQ(audio.segment(0)->discontinuitySequence, 0u);
  EXPECT_FALSE(audio.segment(0)->discontinuity);
  EXPECT_EQ(video.segment(1)->discontinuitySequence, 1u);
  EXPECT_EQ(video.segments().back().discontinuitySequence, 2u);
}

// New video parameters mid-GOP: the audio starts its new segment at once, the video at its
// next keyframe. Both belong to the new Period from the same segment number on, and the old
// Period goes before the init segments it names do.
TEST_F(StreamPackagerTest, NewParametersMidGopStartOnePeriodForBothTracks) {
  settings_.windowSegments = 3;
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(2500);
  newVideoParameters();
  source.runUntil(3500);
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  ASSERT_EQ(packager().periods().size(), 2u);
  const Period& period = packager().periods()[1];
  ASSERT_TRUE(period.video.present);
  ASSERT_TRUE(period.audio.present);
  EXPECT_EQ(period.video.firstMsn, 2u);  // at the 3 s keyframe
  EXPECT_EQ(period.audio.firstMsn, 2u);  // at 2.5 s
  EXPECT_TRUE(audio.segment(2)->discontinuity);
  EXPECT_NEAR(static_cast<double>(audio.segment(2)->start) / 48000, 2.5, 0.03);
  EXPECT_EQ(video.segment(2)->start, 3000 * kVideoTicksPerMs);
  for (uint64_t until = 4000; until <= 14000; until += 500) {
    source.runUntil(static_cast<int64_t>(until));
    for (const Period& p : packager().periods()) {
      EXPECT_TRUE(!p.video.present || !video.init(p.video.initVersion).empty()) << until;
      EXPECT_TRUE(!p.audio.present || !audio.init(p.audio.initVersion).empty()) << until;
    }
  }
  EXPECT_EQ(packager().periods().size(), 1u);
}

// A 5 s hole in the audio crosses several video segments at once: the audio catches up
// with one-frame segments (its numbers stay consecutive), so numbers and Periods stay
// aligned with the video's.
TEST_F(StreamPackagerTest, AudioHoleCatchesUpWithTheVideoNumbers) {
  settings_.windowSegments = 3;
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(3000);
  source.audio = false;
  source.runUntil(8000);
  source.audio = true;
  source.audioFrames = 375;  // 8 s
  source.runUntil(9500);
  newAudioParameters();
  const CmafTrack& video = *packager().video();
  const CmafTrack& audio = *packager().audio();
  for (uint64_t until = 10000; until <= 20000; until += 250) {
    source.runUntil(static_cast<int64_t>(until));
    for (const Period& p : packager().periods()) {
      for (auto [track, entry] : {std::pair{&video, &p.video}, std::pair{&audio, &p.audio}}) {
        EXPECT_TRUE(!entry->present || !track->init(entry->initVersion).empty()) << until;
      }
    }
  }
  EXPECT_EQ(audio.segments().back().msn, video.segments().back().msn);
  for (const Segment& a : audio.segments()) {
    EXPECT_EQ(a.discontinuitySequence, video.segment(a.msn)->discontinuitySequence);
  }
}

TEST_F(StreamPackagerTest, TimestampJumpInsideASessionIsSmoothed) {
  SyntheticSource& source = publish();
  source.sendConfigs();
  source.runUntil(3000);
  // The encoder's clock leaps 60 s ahead (frame 90 onwards).
  source.baseMs += 60000;
  source.runUntil(7000);
  for (const CmafTrack* track : {packager().video(), packager().audio()}) {
    for (const Segment& s : track->segments()) EXPECT_FALSE(s.discontinuity);
    expectContinuous(*track);
  }
  // 7 s of media on a 7 s timeline: the 60 s leap left no gap.
  EXPECT_NEAR(static_cast<double>(packager().video()->end().value()) / 90000, 7.0, 0.05);
  EXPECT_NEAR(static_cast<double>(packager().audio()->end().value()) / 48000, 7.0, 0.05);
  EXPECT_EQ(packager().periods().size(), 1u);
}

TEST_F(StreamPackagerTest, TimestampGoingBackwardsIsSmoothedToo) {
  SyntheticSource& source = publish();
  source.audio = false;
  source.sendConfigs();
  source.runUntil(3000);
  source.baseMs -= 30000;
  source.runUntil(7000);
  expectContinuous(*packager().video());
  EXPECT_GE(packager().video()->segments().size(), 3u);
}

TEST_F(StreamPackagerTest, NewVideoParametersStartANewInitVersionAtTheNextKeyframe) {
  SyntheticSource& source = publish();
  source.audio = false;
  source.sendConfigs();
  source.runUntil(700);
  newVideoParameters();
  source.runUntil(4100);
  const CmafTrack& video = *packager().video();
  EXPECT_EQ(video.initVersion(), 1u);
  // Segment 0 closes early, at the 1 s keyframe after the new configuration.
  EXPECT_EQ(video.segments()[0].duration, 1000 * kVideoTicksPerMs);
  EXPECT_EQ(video.segments()[0].initVersion, 0u);
  EXPECT_EQ(video.segments()[1].initVersion, 1u);
  EXPECT_TRUE(video.segments()[1].discontinuity);
  EXPECT_FALSE(video.init(1).empty());
  EXPECT_EQ(video.description().width, 1920u);
  expectContinuous(video);
}

TEST_F(StreamPackagerTest, AudioOnlyStreamSegmentsOnItsOwnClock) {
  SyntheticSource& source = publish();
  source.video = false;
  source.sendConfigs();
  source.runUntil(5000);
  ASSERT_EQ(packager().leader(), packager().audio());
  const CmafTrack& audio = *packager().audio();
  ASSERT_GE(audio.segments().size(), 2u);
  EXPECT_EQ(audio.segments()[0].msn, 0u);
  EXPECT_NEAR(static_cast<double>(audio.segments()[0].duration) / 48000, 2.0, 1024.0 / 48000);
  EXPECT_EQ(packager().periods().size(), 1u);
  EXPECT_TRUE(packager().periods()[0].audio.present);
  EXPECT_GT(packager().availabilityStartMs(), 0);
  expectContinuous(audio);
}

TEST_F(StreamPackagerTest, OpusWithoutConfigurationGetsTheDefaultTrack) {
  publish();
  auto& stream = *streams_.back();
  for (int64_t t = 0; t < 2500; t += 20) {
    stream.push(testutil::framePacket(TrackType::kAudio, core::media::Codec::kOpus, t, true), 0);
  }
  ASSERT_NE(packager().audio(), nullptr);
  EXPECT_EQ(packager().audio()->description().codecString, "opus");
  EXPECT_FALSE(packager().audio()->segments().empty());
  for (const Fragment& f :
       fragmentsOf(packager().audio()->segmentBytes(packager().audio()->segments()[0]))) {
    for (const auto& s : f.trun.samples) EXPECT_EQ(s.duration, 960u);  // 20 ms at 48 kHz
  }
}

TEST_F(StreamPackagerTest, Mp2AudioIsLeftOutAndTheVideoGoesOn) {
  SyntheticSource& source = publish();
  source.audio = false;
  source.sendConfigs();
  auto& stream = *streams_.back();
  for (int64_t t = 0; t < 5000; t += 24) {  // MP2 from SRT: 1152 samples at 48 kHz, no config
    source.runUntil(t);
    stream.push(testutil::framePacket(TrackType::kAudio, core::media::Codec::kMp2, t, true), 0);
  }
  EXPECT_EQ(packager().audio(), nullptr);
  EXPECT_EQ(packager().track("audio"), nullptr);
  ASSERT_EQ(packager().leader(), packager().video());
  EXPECT_GE(packager().video()->segments().size(), 2u);
  expectContinuous(*packager().video());
  EXPECT_FALSE(packager().periods()[0].audio.present);
}

TEST_F(StreamPackagerTest, ChangesBumpTheVersionAndPollWaiters) {
  SyntheticSource& source = publish();
  source.sendConfigs();
  int polls = 0;
  packager().waiters().park(
      ~uint64_t{0}, [&] { return ++polls >= 3; }, nullptr);
  uint64_t version = packager().version();
  source.runUntil(500);
  EXPECT_GT(packager().version(), version);
  EXPECT_EQ(polls, 3);
  EXPECT_EQ(packager().waiters().size(), 0u);
}

TEST_F(StreamPackagerTest, DestroyingThePackagerExpiresItsWaiters) {
  bool expired = false;
  packager().waiters().park(
      ~uint64_t{0}, [] { return false; }, [&] { expired = true; });
  harness_.owned.reset();
  EXPECT_TRUE(expired);
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
