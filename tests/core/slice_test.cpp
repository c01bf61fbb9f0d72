#include "core/slice.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/slice_writer.h"

namespace tidecast::core {
namespace {

TEST(Slice, CopyOfOwnsItsBytes) {
  std::string text = "hello world";
  Slice slice = Slice::copyOf(text);
  text[0] = 'J';
  EXPECT_EQ(slice.view(), "hello world");
  EXPECT_EQ(slice.useCount(), 1);
}

TEST(Slice, SubSharesTheBlockAndKeepsItAlive) {
  Slice part;
  {
    Slice whole = Slice::copyOf(std::string_view("0123456789"));
    part = whole.sub(3, 4);
    EXPECT_EQ(whole.useCount(), 2);
    EXPECT_EQ(part.data(), whole.data() + 3);
  }
  EXPECT_EQ(part.view(), "3456");
  EXPECT_EQ(part.useCount(), 1);
}

TEST(Slice, SubClampsToTheSlice) {
  Slice whole = Slice::copyOf(std::string_view("abc"));
  EXPECT_EQ(whole.sub(1).view(), "bc");
  EXPECT_EQ(whole.sub(2, 100).view(), "c");
  EXPECT_TRUE(whole.sub(10).empty());
}

TEST(Slice, FromStringTakesOwnershipWithoutCopying) {
  std::string text(1000, 'x');
  const char* bytes = text.data();
  Slice slice = Slice::fromString(std::move(text));
  EXPECT_EQ(reinterpret_cast<const char*>(slice.data()), bytes);
  EXPECT_EQ(slice.size(), 1000u);
}

TEST(Slice, FromStaticHasNoOwner) {
  Slice slice = Slice::fromStatic("static bytes");
  EXPECT_EQ(slice.view(), "static bytes");
  EXPECT_EQ(slice.useCount(), 0);
}

TEST(SliceBuilder, FillsOnceAndFreezes) {
  SliceBuilder builder(8);
  EXPECT_EQ(builder.append("abcd", 4), 4u);
  EXPECT_EQ(builder.append("efghij", 6), 4u);  // capacity is fixed
  Slice slice = builder.finish();
  EXPECT_EQ(slice.view(), "abcdefgh");
  EXPECT_EQ(builder.size(), 0u);
  EXPECT_EQ(builder.capacity(), 0u);
}

TEST(SliceBuilder, CommitCountsBytesWrittenInPlace) {
  SliceBuilder builder(4);
  std::memcpy(builder.data(), "wxyz", 4);
  builder.commit(4);
  EXPECT_EQ(builder.finish().view(), "wxyz");
}

TEST(WriteBatch, GathersSlicesIntoIovecsWithoutCopying) {
  Slice a = Slice::copyOf(std::string_view("head"));
  Slice b = Slice::copyOf(std::string_view("payload"));
  WriteBatch batch;
  batch.append(SliceList{a, Slice(), b});
  EXPECT_EQ(batch.bytes(), 11u);
  auto buffers = batch.buffers();
  ASSERT_EQ(buffers.size(), 2u);  // the empty slice is skipped
  EXPECT_EQ(buffers[0].base, reinterpret_cast<const char*>(a.data()));
  EXPECT_EQ(buffers[1].base, reinterpret_cast<const char*>(b.data()));
  EXPECT_EQ(a.useCount(), 2);
}

TEST(WriteBatch, PartialWriteNarrowsAndReleases) {
  Slice a = Slice::copyOf(std::string_view("abc"));
  Slice b = Slice::copyOf(std::string_view("defgh"));
  WriteBatch batch;
  batch.append(a);
  batch.append(b);
  batch.consume(5);  // all of a, two bytes of b
  EXPECT_EQ(a.useCount(), 1) << "a fully written slice is released at once";
  EXPECT_EQ(batch.bytes(), 3u);
  auto buffers = batch.buffers();
  ASSERT_EQ(buffers.size(), 1u);
  EXPECT_EQ(std::string_view(buffers[0].base, buffers[0].len), "fgh");
  batch.consume(3);
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(b.useCount(), 1);
}

TEST(WriteBatch, LimitsIovecCount) {
  WriteBatch batch;
  Slice one = Slice::copyOf(std::string_view("x"));
  for (int i = 0; i < 3000; ++i) batch.append(one);
  EXPECT_EQ(batch.buffers().size(), WriteBatch::kMaxIovecs);
  EXPECT_EQ(batch.bytes(), 3000u);
}

}  // namespace
}  // namespace tidecast::core
