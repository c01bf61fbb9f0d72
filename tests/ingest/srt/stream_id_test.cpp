#include "ingest/srt/stream_id.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tidecast::ingest::srt {
namespace {

TEST(SrtStreamId, ParsesAccessControlPublish) {
  auto id = parseStreamId("#!::r=live/k,m=publish");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->mode, StreamMode::kPublish);
  EXPECT_EQ(id->app, "live");
  EXPECT_EQ(id->key, "k");
  EXPECT_EQ(id->query, "");
}

TEST(SrtStreamId, AccessControlKeysInAnyOrderWithUserAndSession) {
  auto id = parseStreamId("#!::u=alice,s=abc123,m=request,t=stream,r=app/key?token=x&y=1");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->mode, StreamMode::kRequest);
  EXPECT_EQ(id->app, "app");
  EXPECT_EQ(id->key, "key");
  EXPECT_EQ(id->query, "token=x&y=1");
  EXPECT_EQ(id->user, "alice");
  EXPECT_EQ(id->session, "abc123");
}

TEST(SrtStreamId, AccessControlModeDefaultsToRequest) {
  auto id = parseStreamId("#!::r=live/k");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->mode, StreamMode::kRequest);
}

TEST(SrtStreamId, PlainFormPublishes) {
  auto id = parseStreamId("live/mykey?sig=1");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->mode, StreamMode::kPublish);
  EXPECT_EQ(id->app, "live");
  EXPECT_EQ(id->key, "mykey");
  EXPECT_EQ(id->query, "sig=1");
}

TEST(SrtStreamId, RejectsUnsupportedMode) {
  auto id = parseStreamId("#!::r=live/k,m=bidirectional");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, "srt.bad_mode");
}

TEST(SrtStreamId, RejectsMalformedIds) {
  for (const std::string& text : std::vector<std::string>{
           "", "live", "/k", "live/", "live/a/b", "#!::m=publish", "#!::r", "#!::=x,r=live/k",
           "#!::r=live/k,r=live/j", "#!:r=live/k", std::string("live/k\x01", 7)}) {
    auto id = parseStreamId(text);
    ASSERT_FALSE(id) << text;
    EXPECT_EQ(id.error().code, "srt.bad_stream_id") << text;
  }
}

TEST(SrtStreamId, RejectsIdsOverTheSrtLimit) {
  std::string text = "live/" + std::string(kMaxStreamIdBytes, 'k');
  EXPECT_FALSE(parseStreamId(text));
  std::string many = "#!::r=live/k";
  for (size_t i = 0; i < kMaxStreamIdKeys; ++i) many += ",x" + std::to_string(i) + "=1";
  EXPECT_FALSE(parseStreamId(many));
}

}  // namespace
}  // namespace tidecast::ingest::srt
