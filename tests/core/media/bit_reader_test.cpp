#include "core/media/bit_reader.h"

#include <gtest/gtest.h>

#include "tests/core/media/media_test_util.h"

namespace tidecast::core::media {
namespace {

using testutil::BitWriter;

TEST(BitReader, ReadsBitsMostSignificantFirst) {
  const uint8_t bytes[] = {0b10110010, 0xff, 0x01, 0x02, 0x03, 0x04};
  BitReader reader(bytes);
  EXPECT_EQ(reader.readBits(1), 1u);
  EXPECT_EQ(reader.readBits(3), 0b011u);
  EXPECT_EQ(reader.readBits(6), 0b001011u);  // crosses the byte boundary
  EXPECT_EQ(reader.readBits(6), 0b111111u);
  EXPECT_TRUE(reader.byteAligned());
  EXPECT_EQ(reader.readU32(), 0x01020304u);
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(reader.bitsLeft(), 0u);
}

TEST(BitReader, FailureIsStickyAndReadsZeroPastTheEnd) {
  const uint8_t bytes[] = {0xff};
  BitReader reader(bytes);
  EXPECT_EQ(reader.readBits(4), 0xfu);
  EXPECT_EQ(reader.readBits(5), 0u);
  EXPECT_FALSE(reader.ok());
  EXPECT_EQ(reader.readBits(1), 0u);  // even though a bit was left
  EXPECT_EQ(reader.bitsLeft(), 0u);
}

TEST(BitReader, ReadsSixtyFourBitFields) {
  const uint8_t bytes[] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};
  BitReader reader(bytes);
  EXPECT_EQ(reader.readU64Bits(48), 0x123456789abcULL);
  EXPECT_EQ(reader.readU64Bits(16), 0xdef0ULL);
  EXPECT_TRUE(reader.ok());
  EXPECT_EQ(reader.readU64Bits(65), 0u);
  EXPECT_FALSE(reader.ok());
}

TEST(BitReader, ReadsExpGolombCodes) {
  BitWriter writer;
  for (uint32_t value : {0u, 1u, 2u, 3u, 7u, 255u, 65535u}) writer.ue(value);
  for (uint32_t code : {1u, 2u, 3u, 4u}) writer.ue(code);  // se: 1, -1, 2, -2
  BitReader reader(writer.bytes());
  for (uint32_t value : {0u, 1u, 2u, 3u, 7u, 255u, 65535u}) EXPECT_EQ(reader.readUe(), value);
  EXPECT_EQ(reader.readSe(), 1);
  EXPECT_EQ(reader.readSe(), -1);
  EXPECT_EQ(reader.readSe(), 2);
  EXPECT_EQ(reader.readSe(), -2);
  EXPECT_TRUE(reader.ok());
}

TEST(BitReader, ReadsTheLargestExpGolombCode) {
  BitWriter writer;
  writer.bits(0, 31).bit(true).bits(0x7fffffff, 31);
  BitReader reader(writer.bytes());
  EXPECT_EQ(reader.readUe(), 0xfffffffeu);
  EXPECT_TRUE(reader.ok());
}

TEST(BitReader, RejectsMoreThanThirtyOneLeadingZeros) {
  BitWriter writer;
  writer.bits(0, 32).bit(true).bits(0, 32);
  BitReader reader(writer.bytes());
  EXPECT_EQ(reader.readUe(), 0u);
  EXPECT_FALSE(reader.ok());
  const uint8_t zeros[8] = {};
  BitReader allZero(zeros);
  allZero.readSe();
  EXPECT_FALSE(allZero.ok());
}

TEST(BitReader, ReadsLeb128AndRejectsOverlongValues) {
  const uint8_t small[] = {0x0b};
  const uint8_t multi[] = {0xe5, 0x8e, 0x26};  // 624485
  const uint8_t tooBig[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
  const uint8_t unterminated[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  BitReader a(small), b(multi), c(tooBig), d(unterminated);
  EXPECT_EQ(a.readLeb128(), 11u);
  EXPECT_EQ(b.readLeb128(), 624485u);
  EXPECT_TRUE(a.ok() && b.ok());
  c.readLeb128();
  d.readLeb128();
  EXPECT_FALSE(c.ok());
  EXPECT_FALSE(d.ok());
}

TEST(BitReader, ReadBytesBorrowsAndNeedsAlignment) {
  const uint8_t bytes[] = {1, 2, 3, 4};
  BitReader reader(bytes);
  ByteSpan two = reader.readBytes(2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two.data(), bytes);
  EXPECT_EQ(reader.rest().size(), 2u);
  reader.skipBits(1);
  EXPECT_TRUE(reader.readBytes(1).empty());
  EXPECT_FALSE(reader.ok());
  BitReader past(bytes);
  EXPECT_TRUE(past.readBytes(5).empty());
  EXPECT_FALSE(past.ok());
}

TEST(UnescapeRbsp, RemovesEmulationPreventionBytes) {
  const uint8_t nal[] = {0x67, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x03, 0x03, 0x00, 0x03, 0x00};
  const Bytes expected = {0x67, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x03, 0x00};
  EXPECT_EQ(unescapeRbsp(nal), expected);
  const uint8_t trailing[] = {0x00, 0x00, 0x03};
  EXPECT_EQ(unescapeRbsp(trailing), (Bytes{0x00, 0x00}));
}

}  // namespace
}  // namespace tidecast::core::media
