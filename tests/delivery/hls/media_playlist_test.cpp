#include "delivery/hls/media_playlist.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>

#include "api/system_routes.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::hls {
namespace {

using cmaf::CmafTrack;
using cmaf::Segment;

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The playlist cut into what each listed segment carries: tags up to and including its URI
// (the segment in progress has parts and no URI).
struct Listed {
  std::vector<std::string> tags;
  std::string uri;
  bool has(std::string_view prefix) const {
    for (const auto& t : tags) {
      if (t.rfind(prefix, 0) == 0) return true;
    }
    return false;
  }
  size_t parts() const {
    size_t n = 0;
    for (const auto& t : tags) n += t.rfind("#EXT-X-PART:", 0) == 0;
    return n;
  }
};

std::vector<Listed> segmentsOf(const std::string& playlist) {
  std::vector<Listed> out;
  Listed current;
  bool started = false;
  for (const std::string& line : linesOf(playlist)) {
    if (line.rfind("#EXT-X-PRELOAD-HINT", 0) == 0 ||
        line.rfind("#EXT-X-RENDITION-REPORT", 0) == 0) {
      break;
    }
    if (line == "#EXT-X-DISCONTINUITY" || line.rfind("#EXT-X-MAP", 0) == 0 ||
        line.rfind("#EXT-X-PROGRAM-DATE-TIME", 0) == 0) {
      started = true;
    }
    if (!started) continue;
    if (line.empty()) continue;
    if (line[0] != '#') {
      current.uri = line;
      out.push_back(std::move(current));
      current = {};
    } else {
      current.tags.push_back(line);
    }
  }
  if (!current.tags.empty()) out.push_back(std::move(current));
  return out;
}

class MediaPlaylistTest : public ::testing::Test {
 protected:
  cmaf::StreamPackager& packager() { return harness_.packager(); }
  CmafTrack& video() { return *packager().video(); }
  CmafTrack& audio() { return *packager().audio(); }
  std::string render(std::string_view name, bool skip = false) {
    return renderMediaPlaylist(packager(), *packager().track(name), name, skip);
  }

  cmaf::testutil::PackagerHarness harness_;
};

TEST_F(MediaPlaylistTest, EmptyUntilTheFirstSegment) {
  harness_.publish().sendConfigs();
  EXPECT_EQ(render("video"), "");
}

TEST_F(MediaPlaylistTest, HeaderAdvertisesLowLatencyServerControl) {
  harness_.publishFor(5100);
  auto lines = linesOf(render("video"));
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "#EXTM3U");
  EXPECT_EQ(lines[1], "#EXT-X-VERSION:9");
  EXPECT_EQ(lines[2], "#EXT-X-TARGETDURATION:2");
  EXPECT_EQ(lines[3],
            "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=12.0,PART-HOLD-BACK=0.600");
  EXPECT_EQ(lines[4], "#EXT-X-PART-INF:PART-TARGET=0.200");
  EXPECT_EQ(lines[5], "#EXT-X-MEDIA-SEQUENCE:0");
  EXPECT_EQ(lines[6], "#EXT-X-MAP:URI=\"video/init0.mp4\"");
}

TEST_F(MediaPlaylistTest, EverySegmentHasProgramDateTimeAndDuration) {
  harness_.publishFor(8100);
  std::string playlist = render("video");
  auto listed = segmentsOf(playlist);
  const auto& segments = video().segments();
  ASSERT_EQ(listed.size(), segments.size());
  EXPECT_EQ(count(playlist, "#EXT-X-MAP:"), 1u);
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& s = segments[i];
    EXPECT_TRUE(listed[i].has("#EXT-X-PROGRAM-DATE-TIME:" + api::isoTime(s.wallClockMs)));
    if (i > 0) {
      EXPECT_EQ(s.wallClockMs - segments[i - 1].wallClockMs, 2000);
    }
    if (s.complete) {
      EXPECT_EQ(listed[i].uri, fmt::format("video/{}.m4s", s.msn));
      EXPECT_TRUE(listed[i].has("#EXTINF:2.00000,"));
    } else {
      EXPECT_EQ(listed[i].uri, "");
    }
  }
}

TEST_F(MediaPlaylistTest, PartsAreListedOnlyForTheLastSegments) {
  harness_.publishFor(20100);
  std::string playlist = render("video");
  auto listed = segmentsOf(playlist);
  const auto& segments = video().segments();
  ASSERT_EQ(listed.size(), 11u);  // 0..9 complete, 10 in progress
  // Parts for segments ending within three target durations (6 s) of the live edge.
  for (size_t i = 0; i < listed.size(); ++i) {
    bool recent = segments[i].msn >= 7;
    EXPECT_EQ(listed[i].parts(), recent ? segments[i].parts.size() : 0u) << "segment " << i;
  }
  const Segment& recent = segments[8];
  EXPECT_EQ(listed[8].tags[1],
            fmt::format("#EXT-X-PART:DURATION=0.20000,URI=\"video/p{}.m4s\",INDEPENDENT=YES",
                        recent.parts[0]->id));
  EXPECT_EQ(listed[8].tags[2],
            fmt::format("#EXT-X-PART:DURATION=0.20000,URI=\"video/p{}.m4s\"", recent.parts[1]->id));
  EXPECT_EQ(listed[10].parts(), 0u);  // 20.0-20.1 s: no part closed yet in segment 10
}

TEST_F(MediaPlaylistTest, PreloadHintAndRenditionReportWhileLive) {
  harness_.publishFor(5300);
  std::string playlist = render("video");
  EXPECT_NE(playlist.find(fmt::format("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"video/p{}.m4s\"\n",
                                      video().nextPartId())),
            std::string::npos);
  PlaylistPosition audioLast = lastPosition(audio());
  ASSERT_TRUE(audioLast.any);
  EXPECT_EQ(audioLast.msn, 2u);
  EXPECT_NE(playlist.find(fmt::format("#EXT-X-RENDITION-REPORT:URI=\"audio.m3u8\",LAST-MSN={},"
                                      "LAST-PART={}\n",
                                      audioLast.msn, audioLast.part)),
            std::string::npos);
  std::string audioPlaylist = render("audio");
  EXPECT_NE(audioPlaylist.find("#EXT-X-MAP:URI=\"audio/init0.mp4\""), std::string::npos);
  EXPECT_NE(audioPlaylist.find("#EXT-X-RENDITION-REPORT:URI=\"video.m3u8\",LAST-MSN=2,"),
            std::string::npos);
  EXPECT_NE(audioPlaylist.find("audio/0.m4s\n"), std::string::npos);

  harness_.endSession();
  EXPECT_EQ(render("video").find("#EXT-X-PRELOAD-HINT"), std::string::npos);
  EXPECT_EQ(count(render("video"), "#EXTINF:"), video().segments().size());  // all complete
}

TEST_F(MediaPlaylistTest, DeltaUpdateSkipsSegmentsOlderThanCanSkipUntil) {
  harness_.publishFor(20100);
  std::string full = render("video");
  std::string delta = render("video", true);
  const auto& segments = video().segments();
  uint64_t end = segments.back().start + segments.back().duration;
  size_t expected = 0;
  while (segments[expected].start + 12 * 90000 < end) ++expected;
  ASSERT_EQ(expected, 4u);  // starts 0..6 s are over 12 s before the last part's end (20 s)
  EXPECT_NE(delta.find(fmt::format("#EXT-X-SKIP:SKIPPED-SEGMENTS={}\n", expected)),
            std::string::npos);
  EXPECT_NE(delta.find("#EXT-X-MEDIA-SEQUENCE:0\n"), std::string::npos);
  auto listed = segmentsOf(delta);
  ASSERT_EQ(listed.size(), segments.size() - expected);
  EXPECT_TRUE(listed[0].has("#EXT-X-MAP:URI=\"video/init0.mp4\""));
  EXPECT_EQ(listed[0].uri, fmt::format("video/{}.m4s", segments[expected].msn));
  EXPECT_EQ(full.find("#EXT-X-SKIP"), std::string::npos);
  // From the first listed segment's date on, the same as the full playlist.
  const std::string& date = listed[0].tags[1];
  ASSERT_EQ(date.rfind("#EXT-X-PROGRAM-DATE-TIME:", 0), 0u);
  EXPECT_EQ(delta.substr(delta.find(date)), full.substr(full.find(date)));
}

TEST_F(MediaPlaylistTest, DeltaUpdateOfAShortPlaylistSkipsNothing) {
  harness_.publishFor(5100);
  EXPECT_EQ(render("video", true).find("#EXT-X-SKIP"), std::string::npos);
  EXPECT_EQ(render("video", true), render("video"));
}

TEST_F(MediaPlaylistTest, ReconnectAddsADiscontinuity) {
  harness_.settings.windowSegments = 4;
  harness_.publishFor(4500, true, false);  // segments 0, 1, 2 (short, flushed)
  harness_.endSession();
  harness_.publishFor(2500, true, false);  // 3 (discontinuity), 4 in progress
  std::string playlist = render("video");
  EXPECT_EQ(count(playlist, "#EXT-X-DISCONTINUITY\n"), 1u);
  EXPECT_EQ(playlist.find("#EXT-X-DISCONTINUITY-SEQUENCE"), std::string::npos);
  auto listed = segmentsOf(playlist);
  ASSERT_EQ(listed.size(), 5u);
  EXPECT_EQ(listed[3].tags[0], "#EXT-X-DISCONTINUITY");
  // Same parameters, same init segment: announced again, as a discontinuity resets decoders.
  EXPECT_EQ(listed[3].tags[1], "#EXT-X-MAP:URI=\"video/init0.mp4\"");
  EXPECT_EQ(listed[3].uri, "video/3.m4s");
  EXPECT_EQ(count(playlist, "#EXT-X-MAP:"), 2u);

  // Once the window slides past the discontinuity, the header carries its count.
  harness_.sources.back()->runUntil(10100);
  playlist = render("video");
  EXPECT_EQ(video().segments().front().msn, 4u);
  EXPECT_NE(playlist.find("#EXT-X-DISCONTINUITY-SEQUENCE:1\n"), std::string::npos);
  EXPECT_EQ(count(playlist, "#EXT-X-DISCONTINUITY\n"), 0u);
}

TEST_F(MediaPlaylistTest, NewInitVersionGetsItsOwnMap) {
  cmaf::testutil::SyntheticSource& source = harness_.publishFor(700, true, false);
  harness_.stream().push(
      cmaf::testutil::configPacket(core::media::TrackType::kVideo, core::media::Codec::kH264,
                                   core::media::testdata::kAvcC1920x1080High),
      0);
  source.runUntil(3100);
  std::string playlist = render("video");
  auto listed = segmentsOf(playlist);
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_TRUE(listed[0].has("#EXT-X-MAP:URI=\"video/init0.mp4\""));
  EXPECT_EQ(listed[1].tags[0], "#EXT-X-DISCONTINUITY");
  EXPECT_EQ(listed[1].tags[1], "#EXT-X-MAP:URI=\"video/init1.mp4\"");
  EXPECT_FALSE(listed[2].has("#EXT-X-MAP"));
}

TEST_F(MediaPlaylistTest, TargetDurationRoundsTheLongestSegment) {
  cmaf::testutil::SyntheticSource& source = harness_.publish(true, false);
  source.gop = 75;  // keyframes every 2.5 s
  source.sendConfigs();
  source.runUntil(5100);
  EXPECT_EQ(targetDurationSeconds(video(), harness_.settings), 3u);
  EXPECT_DOUBLE_EQ(skipUntilSeconds(video(), harness_.settings), 18.0);
  std::string playlist = render("video");
  EXPECT_NE(playlist.find("#EXT-X-TARGETDURATION:3\n"), std::string::npos);
  EXPECT_NE(playlist.find("CAN-SKIP-UNTIL=18.0,"), std::string::npos);
  EXPECT_NE(playlist.find("#EXTINF:2.50000,"), std::string::npos);
}

}  // namespace
}  // namespace tidecast::delivery::hls
