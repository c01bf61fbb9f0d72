#include "core/utf8_validator.h"

#include <gtest/gtest.h>

namespace tidecast::core {
namespace {

TEST(Utf8Validator, AcceptsTextSplitAnywhere) {
  const std::string text = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 plain ascii run of text";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(std::string_view(text).substr(0, cut))) << cut;
    EXPECT_TRUE(v.feed(std::string_view(text).substr(cut))) << cut;
    EXPECT_TRUE(v.complete()) << cut;
  }
}

TEST(Utf8Validator, IncompleteAtTheEndIsNotComplete) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("ab\xf0\x9f"));
  EXPECT_FALSE(v.complete());
  EXPECT_FALSE(v.failed());
}

TEST(Utf8Validator, RejectsWhatRfc3629Forbids) {
  for (std::string_view bad : {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
                               "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3\x28"}) {
    Utf8Validator v;
    EXPECT_FALSE(v.feed(bad) && v.complete()) << testing::PrintToString(bad);
  }
  Utf8Validator v;
  EXPECT_TRUE(v.feed("ok\xe2"));  // still fine
  EXPECT_FALSE(v.feed("\x28"));
}

}  // namespace
}  // namespace tidecast::core
