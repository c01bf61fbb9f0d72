#include "ingest/srt/byte_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace tidecast::ingest::srt {
namespace {

const uint8_t* bytes(const std::string& text) {
  return reinterpret_cast<const uint8_t*>(text.data());
}

TEST(SrtByteQueue, RefusesWhatDoesNotFitAndKeepsOrder) {
  ByteQueue queue(10);
  EXPECT_TRUE(queue.push(bytes("abcdef"), 6));
  EXPECT_FALSE(queue.push(bytes("ghijk"), 5)) << "11 bytes would pass the capacity";
  EXPECT_TRUE(queue.push(bytes("ghij"), 4));
  uint8_t out[16];
  EXPECT_EQ(queue.pop(out, 3), 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 3), "abc");
  EXPECT_EQ(queue.pop(out, 16), 7u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), 7), "defghij");
  EXPECT_EQ(queue.size(), 0u);
}

TEST(SrtByteQueue, ReaderWaitsForBytesAndEndsAfterCloseAndDrain) {
  ByteQueue queue(1024);
  std::string received;
  std::thread reader([&] {
    uint8_t out[4];
    while (size_t n = queue.pop(out, sizeof out)) received.append(reinterpret_cast<char*>(out), n);
  });
  EXPECT_TRUE(queue.push(bytes("hello "), 6));
  EXPECT_TRUE(queue.push(bytes("world"), 5));
  queue.close(false);  // what is queued is still read
  reader.join();
  EXPECT_EQ(received, "hello world");
  EXPECT_FALSE(queue.push(bytes("x"), 1));
}

TEST(SrtByteQueue, DiscardingCloseDropsQueuedBytes) {
  ByteQueue queue(1024);
  EXPECT_TRUE(queue.push(bytes("abc"), 3));
  queue.close(true);
  uint8_t out[4];
  EXPECT_EQ(queue.pop(out, sizeof out), 0u);
}

}  // namespace
}  // namespace tidecast::ingest::srt
