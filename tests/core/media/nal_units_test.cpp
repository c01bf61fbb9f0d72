#include "core/media/nal_units.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/media/hevc.h"
#include "tests/core/media/media_test_util.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::core::media {
namespace {

using testutil::errorCode;

std::vector<Bytes> collect(AnnexBNalReader reader) {
  std::vector<Bytes> out;
  while (auto nal = reader.next()) out.emplace_back(nal->begin(), nal->end());
  return out;
}

TEST(AnnexBNalReader, SplitsThreeAndFourByteStartCodes) {
  const uint8_t stream[] = {0xaa, 0x00, 0x00, 0x00, 0x01, 0x09, 0x10, 0x00, 0x00, 0x01,
                            0x67, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x68, 0x02, 0x00};
  const std::vector<Bytes> nals = collect(AnnexBNalReader(stream));
  ASSERT_EQ(nals.size(), 3u);
  EXPECT_EQ(nals[0], (Bytes{0x09, 0x10}));
  EXPECT_EQ(nals[1], (Bytes{0x67, 0x01}));  // trailing zero bytes belong to no NAL unit
  EXPECT_EQ(nals[2], (Bytes{0x68, 0x02}));
}

TEST(AnnexBNalReader, FindsNothingWithoutAStartCode) {
  const uint8_t stream[] = {0x00, 0x00, 0x02, 0x67, 0x00, 0x00};
  EXPECT_TRUE(collect(AnnexBNalReader(stream)).empty());
  EXPECT_TRUE(annexBToLengthPrefixed(stream).empty());
  const uint8_t onlyCodes[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x01};
  EXPECT_TRUE(collect(AnnexBNalReader(onlyCodes)).empty());
}

TEST(AnnexBNalReader, SplitsARealHevcStream) {
  const std::vector<Bytes> nals = collect(AnnexBNalReader(testdata::kHevcAnnexB64x64));
  ASSERT_EQ(nals.size(), 6u);
  const uint8_t expectedTypes[] = {kHevcNalVps, kHevcNalSps, kHevcNalPps, 20, 1, 1};
  for (size_t i = 0; i < nals.size(); ++i) EXPECT_EQ(hevcNalType(nals[i][0]), expectedTypes[i]);
}

TEST(NalUnits, AnnexBAndLengthPrefixedRoundTrip) {
  const Bytes prefixed = annexBToLengthPrefixed(testdata::kHevcAnnexB64x64);
  ASSERT_FALSE(prefixed.empty());
  EXPECT_EQ(prefixed[0], 0);
  EXPECT_EQ(prefixed[3], 0x18);  // the 24-byte VPS
  Result<Bytes> annexB = lengthPrefixedToAnnexB(prefixed, 4);
  ASSERT_TRUE(annexB.ok());
  // x265 wrote a 3-byte start code before the IDR slice; the way back uses 4 bytes only.
  EXPECT_EQ(annexB->size(), sizeof(testdata::kHevcAnnexB64x64) + 1);
  EXPECT_EQ(annexBToLengthPrefixed(*annexB), prefixed);
}

TEST(LengthPrefixedNalReader, ReadsEveryLengthSize) {
  const uint8_t one[] = {0x02, 0xaa, 0xbb, 0x01, 0xcc};
  LengthPrefixedNalReader reader(one, 1);
  EXPECT_EQ(reader.next()->size(), 2u);
  EXPECT_EQ(reader.next()->size(), 1u);
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_FALSE(reader.failed());
  const uint8_t two[] = {0x00, 0x01, 0xaa};
  EXPECT_TRUE(lengthPrefixedToAnnexB(two, 2).ok());
}

TEST(LengthPrefixedNalReader, RejectsBrokenFraming) {
  const uint8_t pastEnd[] = {0x00, 0x00, 0x00, 0x05, 0xaa};
  LengthPrefixedNalReader reader(pastEnd, 4);
  EXPECT_FALSE(reader.next().has_value());
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(errorCode(lengthPrefixedToAnnexB(pastEnd, 4)), "media.truncated");
  const uint8_t partialLength[] = {0x00, 0x01, 0xaa, 0x00};
  EXPECT_FALSE(lengthPrefixedToAnnexB(partialLength, 2).ok());
  EXPECT_EQ(errorCode(lengthPrefixedToAnnexB(pastEnd, 0)), "media.invalid");
  EXPECT_FALSE(lengthPrefixedToAnnexB(pastEnd, 5).ok());
}

}  // namespace
}  // namespace tidecast::core::media
