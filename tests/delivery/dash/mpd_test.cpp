#include "delivery/dash/mpd.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <regex>
#include <vector>

#include "api/system_routes.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::dash {
namespace {

size_t count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// One segment of a SegmentTimeline.
struct Entry {
  uint64_t start = 0;
  uint64_t duration = 0;
};

// The first SegmentTimeline after `after` (the video one of a Period), S runs expanded.
std::vector<Entry> timelineAfter(const std::string& mpd, std::string_view after) {
  std::vector<Entry> entries;
  size_t at = mpd.find(after);
  if (at == std::string::npos) return entries;
  size_t begin = mpd.find("<SegmentTimeline>", at);
  size_t end = mpd.find("</SegmentTimeline>", begin);
  if (begin == std::string::npos || end == std::string::npos) return entries;
  std::regex element(R"re(<S t="(\d+)" d="(\d+)"(?: r="(\d+)")?/>)re");
  auto first = std::sregex_iterator(mpd.begin() + static_cast<std::ptrdiff_t>(begin),
                                    mpd.begin() + static_cast<std::ptrdiff_t>(end), element);
  for (auto it = first; it != std::sregex_iterator(); ++it) {
    uint64_t start = std::stoull((*it)[1]);
    uint64_t duration = std::stoull((*it)[2]);
    uint64_t repeat = (*it)[3].matched ? std::stoull((*it)[3]) : 0;
    for (uint64_t i = 0; i <= repeat; ++i) entries.push_back({start + i * duration, duration});
  }
  return entries;
}

class MpdTest : public ::testing::Test {
 protected:
  MpdTest() {
    options_.timeUrl = "http://127.0.0.1:8080/time";
    options_.latencyTargetMs = 1500;
    options_.nowMs = 1'700'000'000'123;
  }
  std::string render() { return renderMpd(harness_.packager(), options_); }
  bool has(const std::string& mpd, std::string_view what) {
    return mpd.find(what) != std::string::npos;
  }

  cmaf::testutil::PackagerHarness harness_;
  MpdOptions options_;
};

TEST_F(MpdTest, EmptyUntilTheFirstPeriod) {
  harness_.publishFor(20, true, false);  // frames, but no part yet: still a period
  EXPECT_FALSE(harness_.packager().periods().empty());
  cmaf::testutil::PackagerHarness empty;
  empty.publish().sendConfigs();
  EXPECT_EQ(renderMpd(empty.packager(), options_), "");
}

TEST_F(MpdTest, DynamicMpdWithTimingAndServiceDescription) {
  harness_.publishFor(5100);
  std::string mpd = render();
  int64_t ast = harness_.packager().availabilityStartMs();
  ASSERT_GT(ast, 0);
  EXPECT_EQ(mpd.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MPD ", 0), 0u);
  EXPECT_TRUE(has(mpd, " type=\"dynamic\" "));
  EXPECT_TRUE(has(mpd, fmt::format("availabilityStartTime=\"{}\"", api::isoTime(ast))));
  EXPECT_TRUE(has(mpd, "publishTime=\"2023-11-14T22:13:20.123Z\""));
  EXPECT_TRUE(has(mpd, "minimumUpdatePeriod=\"PT2.000S\""));
  EXPECT_TRUE(has(mpd, "minBufferTime=\"PT0.400S\""));
  EXPECT_TRUE(has(mpd, "timeShiftBufferDepth=\"PT24.000S\""));  // 12 segments of 2 s
  EXPECT_TRUE(has(mpd, "maxSegmentDuration=\"PT2.000S\""));
  EXPECT_TRUE(has(mpd, "<Latency referenceId=\"0\" target=\"1500\" min=\"750\" max=\"4500\"/>"));
  EXPECT_TRUE(has(mpd,
                  "<UTCTiming schemeIdUri=\"urn:mpeg:dash:utc:http-iso:2014\" "
                  "value=\"http://127.0.0.1:8080/time\"/>"));
  EXPECT_EQ(mpd.substr(mpd.size() - 7), "</MPD>\n");
}

TEST_F(MpdTest, OnePeriodWithVideoAndAudioSegmentTemplates) {
  harness_.publishFor(5100);
  std::string mpd = render();
  EXPECT_EQ(count(mpd, "<Period "), 1u);
  EXPECT_TRUE(has(mpd, "<Period id=\"p0\" start=\"PT0.000S\">"));
  EXPECT_TRUE(has(mpd, "<Representation id=\"video\" bandwidth=\""));
  EXPECT_TRUE(has(mpd, "codecs=\"avc1.64001f\" width=\"1280\" height=\"720\" frameRate=\"30\">"));
  // Two complete 2 s segments, the one in progress at its target and the next one predicted.
  EXPECT_TRUE(has(mpd,
                  "<SegmentTemplate timescale=\"90000\" presentationTimeOffset=\"0\" "
                  "initialization=\"video/init0.mp4\" media=\"video/t$Time$.m4s\" "
                  "availabilityTimeOffset=\"1.800\" availabilityTimeComplete=\"false\">\n"
                  "          <SegmentTimeline>\n"
                  "            <S t=\"0\" d=\"180000\" r=\"3\"/>\n"
                  "          </SegmentTimeline>\n"
                  "        </SegmentTemplate>\n"));
  EXPECT_TRUE(has(mpd, "codecs=\"mp4a.40.2\" audioSamplingRate=\"48000\">"));
  EXPECT_TRUE(has(mpd, "audio_channel_configuration:2011\" value=\"2\"/>"));
  EXPECT_TRUE(has(mpd,
                  "<SegmentTemplate timescale=\"48000\" presentationTimeOffset=\"0\" "
                  "initialization=\"audio/init0.mp4\" media=\"audio/t$Time$.m4s\""));
  // Neither a fixed duration nor numbers: players follow the timeline.
  EXPECT_FALSE(has(mpd, " duration=\""));
  EXPECT_FALSE(has(mpd, "startNumber"));
  EXPECT_FALSE(has(mpd, "$Number$"));
}

TEST_F(MpdTest, ReconnectStartsANewPeriod) {
  harness_.publishFor(4500);
  harness_.endSession();
  harness_.publishFor(2500);
  const auto& periods = harness_.packager().periods();
  ASSERT_EQ(periods.size(), 2u);
  std::string mpd = render();
  EXPECT_EQ(count(mpd, "<Period "), 2u);
  EXPECT_EQ(count(mpd, "<AdaptationSet "), 4u);
  int64_t ast = harness_.packager().availabilityStartMs();
  EXPECT_TRUE(has(mpd, fmt::format("<Period id=\"p1\" start=\"{}\">",
                                   isoDuration(periods[1].startWallClockMs - ast))));
  EXPECT_GE(periods[1].startWallClockMs, ast);
  const cmaf::PeriodTrack& video = periods[1].video;
  EXPECT_EQ(video.firstMsn, 3u);
  // Each Period's timeline starts with its own first segment.
  std::vector<Entry> second = timelineAfter(mpd, "<Period id=\"p1\"");
  ASSERT_FALSE(second.empty());
  EXPECT_EQ(second.front().start,
            harness_.packager().video()->segment(video.firstMsn)->presentationStart);
  EXPECT_TRUE(has(mpd, fmt::format("presentationTimeOffset=\"{}\" "
                                   "initialization=\"video/init0.mp4\"",
                                   video.start)));
  EXPECT_TRUE(has(mpd, fmt::format("presentationTimeOffset=\"{}\" "
                                   "initialization=\"audio/init0.mp4\"",
                                   periods[1].audio.start)));
  // The first Period's timeline holds its segments only: complete, nothing predicted.
  std::vector<Entry> first = timelineAfter(mpd, "<Period id=\"p0\"");
  ASSERT_FALSE(first.empty());
  EXPECT_LE(first.back().start + first.back().duration, second.front().start);
}

// The video timeline is the window of segments (bounded however long the stream runs), then
// the segment in progress and a prediction of the next: what a low-latency player requests
// before its MPD reload shows them. Once the publisher is gone, exactly the segments.
TEST_F(MpdTest, SegmentTimelineListsTheWindowTheSegmentInProgressAndTheNext) {
  harness_.settings.windowSegments = 3;
  harness_.publishFor(20'500);
  const cmaf::CmafTrack& video = *harness_.packager().video();
  const auto& segments = video.segments();
  ASSERT_EQ(segments.size(), 4u);  // 3 complete, 1 in progress
  ASSERT_FALSE(segments.back().complete);
  std::vector<Entry> live = timelineAfter(render(), "<Period id=\"p0\"");
  ASSERT_EQ(live.size(), 5u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(live[i].start, segments[i].presentationStart) << i;
    EXPECT_EQ(live[i].duration, segments[i].duration) << i;
  }
  EXPECT_EQ(live[3].start, segments[3].presentationStart);
  EXPECT_EQ(live[3].duration, 180'000u);  // its target: the end is not known yet
  EXPECT_EQ(live[4].start, segments[3].presentationStart + 180'000);
  EXPECT_EQ(live[4].duration, 180'000u);
  EXPECT_EQ(video.segmentAt(live[4].start, 90'000), video.nextMsn());

  harness_.endSession();
  std::vector<Entry> ended = timelineAfter(render(), "<Period id=\"p0\"");
  ASSERT_EQ(ended.size(), segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    EXPECT_TRUE(segments[i].complete);
    EXPECT_EQ(ended[i].start, segments[i].presentationStart) << i;
    EXPECT_EQ(ended[i].duration, segments[i].duration) << i;
  }
}

TEST_F(MpdTest, PeriodsWithoutSegmentsLeftAreForgotten) {
  harness_.settings.windowSegments = 2;
  harness_.publishFor(4500);
  harness_.endSession();
  harness_.publishFor(8100);
  const auto& periods = harness_.packager().periods();
  ASSERT_EQ(periods.size(), 1u);
  EXPECT_EQ(periods[0].id, 1u);
  std::string mpd = render();
  EXPECT_EQ(count(mpd, "<Period "), 1u);
  EXPECT_TRUE(has(mpd, "<Period id=\"p1\" "));
}

TEST_F(MpdTest, VideoOnlyHasOneAdaptationSet) {
  harness_.publishFor(2500, true, false);
  std::string mpd = render();
  EXPECT_EQ(count(mpd, "<AdaptationSet "), 1u);
  EXPECT_TRUE(has(mpd, "contentType=\"video\""));
}

TEST(IsoDuration, SecondsWithMilliseconds) {
  EXPECT_EQ(isoDuration(0), "PT0.000S");
  EXPECT_EQ(isoDuration(999), "PT0.999S");
  EXPECT_EQ(isoDuration(12345), "PT12.345S");
  EXPECT_EQ(isoDuration(3'600'000), "PT3600.000S");
}

// xs:duration puts the sign before the P ("-PT1.5S"); "PT-1.500S" is not a duration.
TEST(IsoDuration, NegativeDurationSignComesFirst) {
  EXPECT_EQ(isoDuration(-1500), "-PT1.500S");
  EXPECT_EQ(isoDuration(-5), "-PT0.005S");
}

}  // namespace
}  // namespace tidecast::delivery::dash
