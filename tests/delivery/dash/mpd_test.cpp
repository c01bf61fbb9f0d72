#include "delivery/dash/mpd.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/system_routes.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::dash {
namespace {

size_t count(const std::string& text, std::string_view what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
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
  EXPECT_TRUE(has(mpd,
                  "<SegmentTemplate timescale=\"90000\" duration=\"180000\" startNumber=\"0\" "
                  "presentationTimeOffset=\"0\" initialization=\"video/init0.mp4\" "
                  "media=\"video/$Number$.m4s\" availabilityTimeOffset=\"1.800\" "
                  "availabilityTimeComplete=\"false\"/>"));
  EXPECT_TRUE(has(mpd, "codecs=\"mp4a.40.2\" audioSamplingRate=\"48000\">"));
  EXPECT_TRUE(has(mpd, "audio_channel_configuration:2011\" value=\"2\"/>"));
  EXPECT_TRUE(has(mpd,
                  "<SegmentTemplate timescale=\"48000\" duration=\"96000\" startNumber=\"0\" "
                  "presentationTimeOffset=\"0\" initialization=\"audio/init0.mp4\" "
                  "media=\"audio/$Number$.m4s\""));
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
  EXPECT_TRUE(has(mpd, fmt::format("startNumber=\"3\" presentationTimeOffset=\"{}\" "
                                   "initialization=\"video/init0.mp4\"",
                                   video.start)));
  EXPECT_TRUE(has(mpd, fmt::format("startNumber=\"3\" presentationTimeOffset=\"{}\" "
                                   "initialization=\"audio/init0.mp4\"",
                                   periods[1].audio.start)));
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
