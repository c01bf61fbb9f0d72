#include "delivery/hls/playlist_request.h"

#include <gtest/gtest.h>

namespace tidecast::delivery::hls {
namespace {

PlaylistRequest parsed(std::string_view query) {
  auto request = parsePlaylistRequest(query);
  EXPECT_TRUE(request.ok()) << query << ": " << request.error().message;
  return request.ok() ? *request : PlaylistRequest{};
}

std::string errorOf(std::string_view query) {
  auto request = parsePlaylistRequest(query);
  if (request.ok()) return "ok";
  EXPECT_EQ(request.error().code, "hls.bad_request");
  EXPECT_FALSE(request.error().message.empty());
  return request.error().message;
}

TEST(PlaylistRequest, EmptyQueryIsAPlainReload) {
  PlaylistRequest request = parsed("");
  EXPECT_FALSE(request.msn);
  EXPECT_FALSE(request.part);
  EXPECT_FALSE(request.skip);
}

TEST(PlaylistRequest, MsnAloneAndWithPart) {
  PlaylistRequest msn = parsed("_HLS_msn=12");
  EXPECT_EQ(msn.msn, std::optional<uint64_t>(12));
  EXPECT_FALSE(msn.part);
  PlaylistRequest both = parsed("_HLS_msn=12&_HLS_part=0");
  EXPECT_EQ(both.msn, std::optional<uint64_t>(12));
  EXPECT_EQ(both.part, std::optional<uint64_t>(0));
  PlaylistRequest reversed = parsed("_HLS_part=3&_HLS_msn=7");
  EXPECT_EQ(reversed.msn, std::optional<uint64_t>(7));
  EXPECT_EQ(reversed.part, std::optional<uint64_t>(3));
  EXPECT_EQ(parsed("_HLS_msn=999999999999999999").msn,
            std::optional<uint64_t>(999999999999999999ull));  // 18 digits
}

TEST(PlaylistRequest, SkipAcceptsYesAndV2Only) {
  EXPECT_TRUE(parsed("_HLS_skip=YES").skip);
  EXPECT_TRUE(parsed("_HLS_skip=v2").skip);
  PlaylistRequest all = parsed("_HLS_msn=4&_HLS_part=1&_HLS_skip=YES");
  EXPECT_TRUE(all.skip);
  EXPECT_EQ(all.msn, std::optional<uint64_t>(4));
  EXPECT_EQ(errorOf("_HLS_skip=NO"), "_HLS_skip must be YES or v2");
  EXPECT_NE(errorOf("_HLS_skip=yes"), "ok");
  EXPECT_NE(errorOf("_HLS_skip"), "ok");
  EXPECT_NE(errorOf("_HLS_skip="), "ok");
}

TEST(PlaylistRequest, PartWithoutMsnIsRefused) {
  EXPECT_EQ(errorOf("_HLS_part=2"), "_HLS_part without _HLS_msn");
  EXPECT_EQ(errorOf("_HLS_skip=YES&_HLS_part=2"), "_HLS_part without _HLS_msn");
}

TEST(PlaylistRequest, GarbageNumbersAreRefused) {
  for (std::string_view query :
       {"_HLS_msn=", "_HLS_msn", "_HLS_msn=abc", "_HLS_msn=-1", "_HLS_msn=+1", "_HLS_msn=1x",
        "_HLS_msn= 1", "_HLS_msn=1.5", "_HLS_msn=0x10", "_HLS_msn=1234567890123456789",
        "_HLS_msn=99999999999999999999999", "_HLS_msn=3&_HLS_part=", "_HLS_msn=3&_HLS_part=a",
        "_HLS_msn=%31"}) {
    EXPECT_NE(errorOf(query), "ok") << query;
  }
  EXPECT_EQ(errorOf("_HLS_msn=x"), "_HLS_msn must be a decimal integer");
  EXPECT_EQ(errorOf("_HLS_msn=1&_HLS_part=x"), "_HLS_part must be a decimal integer");
}

TEST(PlaylistRequest, UnknownParametersAreIgnored) {
  PlaylistRequest request = parsed("token=abc&_HLS_msn=5&&cb=1=2&_hls_part=9&flag&=x");
  EXPECT_EQ(request.msn, std::optional<uint64_t>(5));
  EXPECT_FALSE(request.part);  // names are case-sensitive
  EXPECT_FALSE(parsed("&").msn);
  EXPECT_FALSE(parsed("_HLS_msnx=1").msn);
}

TEST(PlaylistRequest, LeadingZerosAndLastValueWin) {
  EXPECT_EQ(parsed("_HLS_msn=007").msn, std::optional<uint64_t>(7));
  EXPECT_EQ(parsed("_HLS_msn=1&_HLS_msn=2").msn, std::optional<uint64_t>(2));
}

}  // namespace
}  // namespace tidecast::delivery::hls
