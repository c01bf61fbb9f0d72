// FileMirror and mirrored Slices: the bytes land in the memfd at the offsets the Slices
// report, sub-slices keep their file position, the file region is released (hole punched)
// when the last Slice of it goes, and WriteBatch finds contiguous file runs.
#include "core/file_mirror.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/slice_writer.h"

namespace tidecast::core {
namespace {

std::string readFile(int fd, uint64_t offset, size_t length) {
  std::string out(length, '\0');
  ssize_t n = ::pread(fd, out.data(), length, static_cast<off_t>(offset));
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return out;
}

uint64_t allocatedBytes(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

TEST(FileMirror, CopiesBytesAndReportsTheirFilePositions) {
  auto mirror = FileMirror::create("test");
  ASSERT_NE(mirror, nullptr);
  SliceList first = mirror->mirror({Slice::copyOf("head"), Slice::copyOf("-payload")});
  SliceList second = mirror->mirror({Slice::copyOf("next")});
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].view(), "head");
  EXPECT_EQ(first[1].view(), "-payload");
  EXPECT_EQ(first[0].fileSpan().fd, mirror->fd());
  EXPECT_EQ(first[0].fileSpan().offset, 0u);
  EXPECT_EQ(first[1].fileSpan().offset, 4u);
  EXPECT_EQ(second[0].fileSpan().offset, 4096u) << "each region starts on a page";
  EXPECT_EQ(readFile(mirror->fd(), 0, 12), "head-payload");
  EXPECT_EQ(readFile(mirror->fd(), 4096, 4), "next");
  Slice tail = first[1].sub(3, 4);
  EXPECT_EQ(tail.view(), "yloa");
  EXPECT_EQ(tail.size(), 4u);
  EXPECT_EQ(tail.fileSpan().offset, 7u);
  EXPECT_EQ(readFile(mirror->fd(), tail.fileSpan().offset, tail.size()), tail.view());
  EXPECT_EQ(mirror->residentBytes(), 16u);  // bytes mirrored, not pages
}

TEST(FileMirror, MemoryOnlySlicesKeepTheBytesWithoutTheFile) {
  auto mirror = FileMirror::create("test");
  ASSERT_NE(mirror, nullptr);
  SliceList mirrored = mirror->mirror({Slice::copyOf("abc")});
  SliceList plain = memoryOnly(mirrored);
  EXPECT_EQ(plain[0].view(), "abc");
  EXPECT_EQ(plain[0].fileSpan().fd, -1);
  EXPECT_EQ(plain[0].data(), mirrored[0].data()) << "no copy";
}

TEST(FileMirror, ReleasesTheRegionWhenTheLastSliceGoes) {
  auto mirror = FileMirror::create("test");
  ASSERT_NE(mirror, nullptr);
  std::string big(1 << 20, 'x');
  SliceList mirrored = mirror->mirror({Slice::copyOf(big)});
  EXPECT_GE(allocatedBytes(mirror->fd()), big.size());
  Slice kept = mirrored[0].sub(10, 10);
  mirrored.clear();
  EXPECT_EQ(mirror->residentBytes(), big.size()) << "a sub-slice still holds the region";
  kept = Slice();
  EXPECT_EQ(mirror->residentBytes(), 0u);
  EXPECT_LT(allocatedBytes(mirror->fd()), 64u * 1024) << "the pages were given back";
}

TEST(WriteBatch, FindsContiguousFileRunsAndStopsMemoryIovecsBeforeThem) {
  auto mirror = FileMirror::create("test");
  ASSERT_NE(mirror, nullptr);
  SliceList part = mirror->mirror({Slice::copyOf("moof"), Slice::copyOf("mdat-bytes")});
  SliceList other = mirror->mirror({Slice::copyOf("zz")});  // the next page: a run of its own
  WriteBatch batch;
  batch.append(Slice::copyOf("HTTP/1.1 200 OK\r\n\r\n"));
  batch.append(part);
  batch.append(other);
  size_t length = 0;
  EXPECT_EQ(batch.fileRun(length).fd, -1);
  bool fileFollows = false;
  EXPECT_EQ(batch.memoryIovecs(fileFollows).size(), 1u);
  EXPECT_TRUE(fileFollows);
  batch.consume(19);
  FileSpan run = batch.fileRun(length);
  EXPECT_EQ(run.fd, mirror->fd());
  EXPECT_EQ(run.offset, 0u);
  EXPECT_EQ(length, 14u) << "the slices of one mirror() call are one run";
  batch.consume(6);  // part of a slice: the run starts inside it
  run = batch.fileRun(length);
  EXPECT_EQ(run.offset, 6u);
  EXPECT_EQ(length, 8u);
}

}  // namespace
}  // namespace tidecast::core
