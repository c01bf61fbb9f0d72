#include "core/sha256.h"

#include <gtest/gtest.h>

namespace tidecast::core {
namespace {

TEST(Sha256Hex, MatchesTheStandardVectors) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace tidecast::core
