#include "delivery/cmaf/box_writer.h"

#include <gtest/gtest.h>

#include "tests/delivery/cmaf/bmff_reader.h"

namespace tidecast::delivery::cmaf {
namespace {

TEST(BoxWriter, NestedBoxesGetTheirSizesAtClose) {
  BoxWriter w;
  size_t outer = w.open("moov");
  size_t inner = w.openFull("mvhd", 1, 0x000203);
  w.u64(0x0102030405060708ull);
  w.close(inner);
  size_t empty = w.open("trak");
  w.close(empty);
  w.close(outer);
  auto walked = testutil::walk(w.bytes());
  ASSERT_EQ(walked.error, "");
  ASSERT_EQ(walked.boxes.size(), 1u);
  EXPECT_EQ(walked.boxes[0].size, w.size());
  const testutil::Box* mvhd = walked.find("moov/mvhd");
  ASSERT_NE(mvhd, nullptr);
  EXPECT_EQ(mvhd->size, 8u + 4u + 8u);
  EXPECT_EQ(mvhd->version(), 1);
  EXPECT_EQ(mvhd->flags(), 0x000203u);
  EXPECT_EQ(testutil::readU64(mvhd->body, 4), 0x0102030405060708ull);
  EXPECT_EQ(walked.find("moov/trak")->size, 8u);
}

TEST(BoxWriter, ShortFourccIsPaddedWithSpaces) {
  BoxWriter w;
  w.close(w.open("url"));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(w.bytes().data()) + 4, 4), "url ");
}

TEST(BoxWriter, PatchOverwritesAFieldAndFinishCopiesTheBytes) {
  BoxWriter w;
  w.u32(0);
  w.u16(0xabcd);
  w.patchU32(0, 0xdeadbeef);
  core::Slice done = w.finish();
  EXPECT_EQ(testutil::bytesOf(done), (testutil::Bytes{0xde, 0xad, 0xbe, 0xef, 0xab, 0xcd}));
  EXPECT_NE(done.data(), w.bytes().data());
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
