// A transcoded rendition's packager following its source's (StreamPackager::follow).
#include <gtest/gtest.h>

#include "delivery/cmaf/stream_packager.h"
#include "delivery/dash/mpd.h"
#include "delivery/hls/media_playlist.h"
#include "delivery/hls/multivariant_playlist.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::cmaf {
namespace {

using testutil::SyntheticSource;

// The source: 30 fps H.264 with B-frames (I P B B, the keyframe presented 33 ms after its
// decode time), a keyframe a second, 2 s segments. The rendition: what a transcoder makes of
// it, no B-frames (dts = the source's pts), a keyframe on every source keyframe, a while behind.
class RenditionPackagerTest : public ::testing::Test {
 protected:
  RenditionPackagerTest() {
    harness_.settings.segmentTargetMs = 2000;
    source_ = &harness_.publish(/*video=*/true, /*audio=*/false);
    source_->bFrames = true;
    source_->sendConfigs();
    rendition_ =
        std::make_unique<StreamPackager>("live/k/low", harness_.settings, harness_.loop.context);
    rendition_->follow([this]() -> StreamPackager* { return leaderGone_ ? nullptr : &leader(); });
    renditionStream_ = std::make_unique<core::Stream>("live/k/low", 99, 1 << 20);
    rendition_->attach(*renditionStream_);
    renditionStream_->push(testutil::h264Config(), 0);
  }
  ~RenditionPackagerTest() override { renditionStream_.reset(); }

  StreamPackager& leader() { return harness_.packager(); }
  // The rendition's frames for source frames [from, to), one each, decode time = the time
  // the source's keyframes are presented (every source keyframe has a 33 ms offset).
  void renditionFrames(uint64_t from, uint64_t to) {
    for (uint64_t i = from; i < to; ++i) {
      renditionStream_->push(testutil::videoFrame(source_->videoDts(i) + 33, i % 30 == 0), 0);
    }
  }

  testutil::PackagerHarness harness_;
  SyntheticSource* source_ = nullptr;
  std::unique_ptr<StreamPackager> rendition_;
  std::unique_ptr<core::Stream> renditionStream_;
  bool leaderGone_ = false;
};

TEST_F(RenditionPackagerTest, SegmentsStartWhereAndAsTheSourceSegmentsDo) {
  source_->runUntil(9000);  // segments 0..3 complete, 4 open (at 8 s)
  renditionFrames(0, 270);
  ASSERT_NE(rendition_->video(), nullptr);
  const auto& src = leader().video()->segments();
  const auto& out = rendition_->video()->segments();
  ASSERT_EQ(out.size(), src.size());
  for (size_t i = 0; i < src.size(); ++i) {
    EXPECT_EQ(out[i].msn, src[i].msn);
    // Same presentation time: the source's first sample is shown 33 ms (2970 ticks) after
    // its decode time, the rendition's at its decode time.
    EXPECT_EQ(out[i].start, src[i].start + 2970) << "segment " << src[i].msn;
    EXPECT_EQ(out[i].complete, src[i].complete);
    if (src[i].complete) {
      EXPECT_EQ(out[i].duration, src[i].duration);
    }
    EXPECT_EQ(out[i].discontinuitySequence, src[i].discontinuitySequence);
  }
}

TEST_F(RenditionPackagerTest, ARenditionStartingMidSegmentWaitsForTheNextSourceSegment) {
  source_->runUntil(7000);
  // The rendition starts at the keyframe of 1 s (inside source segment 0, which started at 0):
  // nothing until the source's segment 1 at 2 s, which it opens with number 1.
  renditionFrames(30, 200);
  ASSERT_NE(rendition_->video(), nullptr);
  const auto& out = rendition_->video()->segments();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.front().msn, 1u);
  EXPECT_EQ(out.front().start, leader().video()->segment(1)->start + 2970);
  EXPECT_EQ(out.back().msn, leader().video()->segments().back().msn);
}

TEST_F(RenditionPackagerTest, KeyframesTheSourceDidNotCutAtAreNoBoundaries) {
  source_->runUntil(5000);
  renditionFrames(0, 150);
  // Keyframes every second, segments every two: the rendition cuts only at 0, 2 and 4 s.
  const auto& out = rendition_->video()->segments();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].start - out[0].start, 2u * 90000);
}

TEST_F(RenditionPackagerTest, WithoutItsSourceARenditionPackagesNothingNew) {
  source_->runUntil(3000);
  renditionFrames(0, 60);
  size_t parts = rendition_->video()->nextPartId();
  leaderGone_ = true;
  renditionFrames(60, 90);
  EXPECT_EQ(rendition_->video()->nextPartId(), parts);
}

TEST_F(RenditionPackagerTest, PlaylistsAndTheMpdListTheRendition) {
  source_->runUntil(5000);
  renditionFrames(0, 150);
  std::string master = hls::renderMultivariantPlaylist(leader(), {rendition_.get()});
  EXPECT_NE(master.find("\nvideo.m3u8\n"), std::string::npos) << master;
  EXPECT_NE(master.find("\nlow/video.m3u8\n"), std::string::npos) << master;
  size_t variants = 0;
  for (size_t at = master.find("#EXT-X-STREAM-INF"); at != std::string::npos;
       at = master.find("#EXT-X-STREAM-INF", at + 1)) {
    ++variants;
  }
  EXPECT_EQ(variants, 2u);
  std::string renditionsOnly =
      hls::renderMultivariantPlaylist(leader(), {rendition_.get()}, /*listSource=*/false);
  EXPECT_EQ(renditionsOnly.find("\nvideo.m3u8\n"), std::string::npos) << renditionsOnly;
  EXPECT_NE(renditionsOnly.find("\nlow/video.m3u8\n"), std::string::npos);
  // With no rendition the source is listed whatever the ladder says.
  EXPECT_NE(hls::renderMultivariantPlaylist(leader(), {}, false).find("\nvideo.m3u8\n"),
            std::string::npos);

  std::string playlist = hls::renderMediaPlaylist(*rendition_, *rendition_->video(), "video", false,
                                                  {{"../video.m3u8", leader().video()}});
  EXPECT_NE(playlist.find("#EXT-X-RENDITION-REPORT:URI=\"../video.m3u8\",LAST-MSN=2,"),
            std::string::npos)
      << playlist;

  dash::MpdOptions options;
  options.timeUrl = "http://127.0.0.1/time";
  options.renditions = {rendition_.get()};
  std::string mpd = dash::renderMpd(leader(), options);
  EXPECT_NE(mpd.find("<Representation id=\"low\""), std::string::npos) << mpd;
  EXPECT_NE(mpd.find("initialization=\"low/video/init0.mp4\" media=\"low/video/t$Time$.m4s\""),
            std::string::npos)
      << mpd;
  // Its timeline is the source's: segment N is the same interval in both Representations.
  auto timelineOf = [&mpd](std::string_view representation) {
    size_t at = mpd.find(representation);
    size_t begin = mpd.find("<SegmentTimeline>", at);
    return mpd.substr(begin, mpd.find("</SegmentTimeline>", begin) - begin);
  };
  EXPECT_EQ(timelineOf("<Representation id=\"low\""), timelineOf("<Representation id=\"video\""));
  // One video AdaptationSet holding both Representations.
  size_t set = mpd.find("<AdaptationSet id=\"0\"");
  size_t end = mpd.find("</AdaptationSet>", set);
  EXPECT_LT(mpd.find("<Representation id=\"video\""), end);
  EXPECT_LT(mpd.find("<Representation id=\"low\""), end);
}

}  // namespace
}  // namespace tidecast::delivery::cmaf

namespace tidecast::delivery::cmaf {
namespace {

// An Opus source: the transcoder gives its renditions one AAC track, which the variants then
// share (the multivariant playlist's audio group, the MPD's audio AdaptationSet).
TEST_F(RenditionPackagerTest, VariantsShareTheRenditionsAacWhenTheSourceAudioIsOpus) {
  harness_.stream().push(testutil::configPacket(core::media::TrackType::kAudio,
                                                core::media::Codec::kOpus, testutil::kOpusHead),
                         0);
  renditionStream_->push(testutil::aacConfig(), 0);
  for (int64_t ms = 0; ms < 5000; ms += 100) {
    source_->runUntil(ms + 100);
    renditionFrames(static_cast<uint64_t>(ms * 30 / 1000),
                    static_cast<uint64_t>((ms + 100) * 30 / 1000));
    for (int64_t a = ms; a < ms + 100; a += 20) {
      harness_.stream().push(
          testutil::framePacket(core::media::TrackType::kAudio, core::media::Codec::kOpus, a, true),
          0);
    }
    for (int64_t a = ms * 48 / 1024; a < (ms + 100) * 48 / 1024; ++a) {
      renditionStream_->push(testutil::audioFrame(a * 1024 / 48), 0);
    }
  }
  ASSERT_NE(leader().audio(), nullptr);
  ASSERT_EQ(leader().audio()->description().codec, core::media::Codec::kOpus);
  ASSERT_NE(rendition_->audio(), nullptr);

  std::string master = hls::renderMultivariantPlaylist(leader(), {rendition_.get()});
  EXPECT_NE(master.find("URI=\"low/audio.m3u8\""), std::string::npos) << master;
  EXPECT_EQ(master.find("opus"), std::string::npos) << master;
  size_t aac = 0;
  for (size_t at = master.find(",mp4a.40.2\""); at != std::string::npos;
       at = master.find(",mp4a.40.2\"", at + 1)) {
    ++aac;
  }
  EXPECT_EQ(aac, 2u) << master;  // both variants
  // Without a rendition the source's own audio stays.
  EXPECT_NE(hls::renderMultivariantPlaylist(leader(), {}).find("URI=\"audio.m3u8\""),
            std::string::npos);

  dash::MpdOptions options;
  options.timeUrl = "http://127.0.0.1/time";
  options.renditions = {rendition_.get()};
  std::string mpd = dash::renderMpd(leader(), options);
  size_t set = mpd.find("<AdaptationSet id=\"1\"");
  ASSERT_NE(set, std::string::npos) << mpd;
  std::string audioSet = mpd.substr(set, mpd.find("</AdaptationSet>", set) - set);
  EXPECT_NE(audioSet.find("codecs=\"mp4a.40.2\""), std::string::npos) << audioSet;
  EXPECT_NE(audioSet.find("media=\"low/audio/t$Time$.m4s\""), std::string::npos) << audioSet;
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
