#include "core/stream_name.h"

#include <gtest/gtest.h>

#include "core/sha256.h"

namespace tidecast::core {
namespace {

// SHA-256("test") = 9f86d081884c7d65…; SHA-256("") = e3b0c44298fc1c14….
TEST(PublicStreamName, ReplacesTheKeyKeepingAppAndRung) {
  struct Case {
    std::string_view name;
    std::string_view expected;
  };
  const Case cases[] = {
      {"live/test", "live/k-9f86d081884c"},
      {"live/test/480p", "live/k-9f86d081884c/480p"},
      {"abr/test/360p", "abr/k-9f86d081884c/360p"},
      {"test", "k-9f86d081884c"},  // no app: a bare key
      {"live/", "live/k-e3b0c44298fc"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(publicStreamName(c.name), c.expected) << c.name;
}

TEST(PublicStreamName, IsStableAndNeverHoldsTheKey) {
  const std::string key = "sk_live_7Hq2ZpX0aa";
  const std::string name = publicStreamName("live/" + key);
  EXPECT_EQ(name, publicStreamName("live/" + key));
  EXPECT_EQ(name, "live/" + publicStreamKey(key));
  EXPECT_EQ(publicStreamKey(key), "k-" + sha256Hex(key).substr(0, kPublicKeyHexDigits));
  EXPECT_EQ(name.find(key), std::string::npos);
  EXPECT_NE(publicStreamKey(key), publicStreamKey(key + "x"));
}

}  // namespace
}  // namespace tidecast::core
