// TcpStream on a real loop over loopback: gathered writes arrive intact and in order, partial
// writes (a reader slower than the writer) complete, and the Slices are released once the
// kernel has the bytes.
#include "core/tcp.h"

#include "core/file_mirror.h"
#include "tests/core/loop_test_util.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace tidecast::core {
namespace {

TEST(TcpStream, LargeGatheredWriteArrivesInOrderAndReleasesSlices) {
  Loop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpStream> server;
  ASSERT_TRUE(listener.listen("127.0.0.1", 0, 16, [&](auto s) { server = std::move(s); }).ok());
  int fd = connectTo(listener.boundPort(), 16384);  // a small receive buffer: partial writes
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(runUntil(loop, [&] { return server != nullptr; }));

  // 8 MiB from 1024 slices of one block plus distinct headers: order must be kept.
  std::string blockBytes(8192, '\0');
  for (size_t i = 0; i < blockBytes.size(); ++i) blockBytes[i] = static_cast<char>(i * 7);
  Slice block = Slice::copyOf(blockBytes);
  std::string expected;
  SliceList slices;
  for (int i = 0; i < 1024; ++i) {
    std::string header = "#" + std::to_string(i) + "#";
    slices.push_back(Slice::copyOf(header));
    slices.push_back(block);
    expected += header + blockBytes;
  }
  bool drained = false;
  server->setOnDrain([&] { drained = true; });
  server->write(slices);
  slices.clear();
  EXPECT_GT(block.useCount(), 1);

  std::string received;
  std::thread reader([&] {
    char buf[65536];
    while (received.size() < expected.size()) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
      if (received.size() < 1024 * 1024) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  bool done = runUntil(
      loop, [&] { return drained; }, std::chrono::seconds(30));
  reader.join();
  EXPECT_TRUE(done);
  EXPECT_EQ(server->pendingBytes(), 0u);
  EXPECT_EQ(block.useCount(), 1) << "the stream must release every reference once written";
  ASSERT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  ::close(fd);
}

TEST(TcpStream, MirroredSlicesGoBySendfileAndFallBackToMemoryWhenTheSocketIsFull) {
  Loop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpStream> server;
  ASSERT_TRUE(listener.listen("127.0.0.1", 0, 16, [&](auto s) { server = std::move(s); }).ok());
  int fd = connectTo(listener.boundPort(), 16384);  // a slow, small reader: EAGAIN mid-file
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(runUntil(loop, [&] { return server != nullptr; }));
  auto mirror = FileMirror::create("tcp-test");
  ASSERT_NE(mirror, nullptr);

  // Plain heads between mirrored bodies, as HTTP responses of parts look.
  std::string expected;
  for (int i = 0; i < 64; ++i) {
    std::string head = "HEAD " + std::to_string(i) + "\r\n";
    std::string body(40000 + i, static_cast<char>('a' + i % 26));
    SliceList bytes{Slice::copyOf(head)};
    for (const Slice& s :
         mirror->mirror({Slice::copyOf(body.substr(0, 100)), Slice::copyOf(body.substr(100))})) {
      bytes.push_back(s);
    }
    server->write(bytes);
    expected += head + body;
  }
  bool drained = false;
  server->setOnDrain([&] { drained = true; });
  std::string received;
  std::thread reader([&] {
    char buf[8192];
    while (received.size() < expected.size()) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0) break;
      received.append(buf, static_cast<size_t>(n));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  bool done = runUntil(
      loop, [&] { return drained; }, std::chrono::seconds(30));
  reader.join();
  EXPECT_TRUE(done);
  ASSERT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected);
  auto diff = std::mismatch(received.begin(), received.end(), expected.begin());
  EXPECT_EQ(diff.first - received.begin(), static_cast<long>(received.size()))
      << "first difference; received " << received.substr(diff.first - received.begin(), 20)
      << " expected " << expected.substr(diff.first - received.begin(), 20);
  EXPECT_EQ(mirror->residentBytes(), 0u) << "every region released once written";
  ::close(fd);
}

TEST(TcpStream, WritesInOneTurnAreCoalescedAndDestroyingMidWriteIsSafe) {
  Loop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpStream> server;
  ASSERT_TRUE(listener.listen("127.0.0.1", 0, 16, [&](auto s) { server = std::move(s); }).ok());
  int fd = connectTo(listener.boundPort());
  ASSERT_TRUE(runUntil(loop, [&] { return server != nullptr; }));
  Slice big = Slice::copyOf(std::string(16 * 1024 * 1024, 'z'));
  server->write(big);
  server->write(Slice::copyOf(std::string_view("tail")));
  EXPECT_EQ(server->pendingBytes(), big.size() + 4);
  uv_run(loop.raw(), UV_RUN_NOWAIT);  // flushes: the kernel takes part, a uv_write holds the rest
  EXPECT_GT(big.useCount(), 1);
  server.reset();  // closing with a write in flight: libuv cancels it, the slice is released
  ASSERT_TRUE(runUntil(loop, [&] { return big.useCount() == 1; }));
  ::close(fd);
}

// Bytes readable on `fd` right now, without blocking.
size_t readableNow(int fd) {
  char buffer[4096];
  size_t total = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n <= 0) return total;
    total += static_cast<size_t>(n);
  }
}

TEST(TcpStream, MergedWritesWaitForTheLoopsMergeTickThenLeaveTogether) {
  Loop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpStream> first, second;
  ASSERT_TRUE(
      listener.listen("127.0.0.1", 0, 16, [&](auto s) { (first ? second : first) = std::move(s); })
          .ok());
  int fd1 = connectTo(listener.boundPort());
  int fd2 = connectTo(listener.boundPort());
  ASSERT_TRUE(runUntil(loop, [&] { return second != nullptr; }));
  first->setWriteMerge(200);
  second->setWriteMerge(200);
  auto begin = std::chrono::steady_clock::now();
  first->write(Slice::copyOf(std::string_view("a1")));
  second->write(Slice::copyOf(std::string_view("b1")));
  first->write(Slice::copyOf(std::string_view("a2")));
  // Several turns pass: nothing leaves before the tick.
  for (int i = 0; i < 20; ++i) uv_run(loop.raw(), UV_RUN_NOWAIT);
  EXPECT_EQ(readableNow(fd1), 0u);
  EXPECT_EQ(first->pendingBytes(), 4u);
  size_t got1 = 0, got2 = 0;
  ASSERT_TRUE(runUntil(loop, [&] {
    got1 += readableNow(fd1);
    got2 += readableNow(fd2);
    return got1 == 4 && got2 == 2;
  }));
  EXPECT_GE(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(150));
  // Turning merging off flushes what is held; flushNow() does too.
  first->write(Slice::copyOf(std::string_view("a3")));
  first->setWriteMerge(0);
  EXPECT_EQ(first->pendingBytes(), 0u);
  second->write(Slice::copyOf(std::string_view("b2")));
  second->flushNow();
  EXPECT_EQ(second->pendingBytes(), 0u);
  // A stream destroyed while held is forgotten by the tick.
  EXPECT_EQ(readableNow(fd1), 2u);
  second->write(Slice::copyOf(std::string_view("b3")));
  second.reset();
  auto held = std::chrono::steady_clock::now();
  runUntil(loop, [&] {
    return std::chrono::steady_clock::now() - held > std::chrono::milliseconds(300);
  });
  ::close(fd1);
  ::close(fd2);
}

TEST(TcpStream, ReportsPeerCloseAndDataBeforeIt) {
  Loop loop;
  TcpListener listener(loop);
  std::unique_ptr<TcpStream> server;
  ASSERT_TRUE(listener.listen("127.0.0.1", 0, 16, [&](auto s) { server = std::move(s); }).ok());
  int fd = connectTo(listener.boundPort());
  ASSERT_TRUE(runUntil(loop, [&] { return server != nullptr; }));
  std::string got;
  int endStatus = 0;
  server->startRead([&](std::string_view b) { got.append(b); }, [&](int st) { endStatus = st; });
  ASSERT_EQ(::write(fd, "ping", 4), 4);
  ::close(fd);
  ASSERT_TRUE(runUntil(loop, [&] { return endStatus != 0; }));
  EXPECT_EQ(got, "ping");
  EXPECT_EQ(endStatus, UV_EOF);
  EXPECT_EQ(server->peer().ip, "127.0.0.1");
}

TEST(TcpListener, ReportsAddressInUse) {
  Loop loop;
  TcpListener first(loop);
  ASSERT_TRUE(first.listen("127.0.0.1", 0, 16, [](auto) {}).ok());
  TcpListener second(loop);
  auto status = second.listen("127.0.0.1", first.boundPort(), 16, [](auto) {});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "tcp.listen");
  EXPECT_NE(status.error().message.find("address already in use"), std::string::npos);
}

TEST(Timer, CallbackMayDestroyItsOwnTimer) {
  Loop loop;
  auto timer = std::make_unique<Timer>(loop);
  int fired = 0;
  timer->start(1, 0, [&] {
    ++fired;
    timer.reset();
  });
  ASSERT_TRUE(runUntil(loop, [&] { return fired == 1; }));
  EXPECT_EQ(timer, nullptr);
}

TEST(Async, WakesTheLoopFromAnotherThread) {
  Loop loop;
  int woken = 0;
  Async async(loop, [&] { ++woken; });
  std::thread other([&] { async.send(); });
  other.join();
  ASSERT_TRUE(runUntil(loop, [&] { return woken >= 1; }));
}

TEST(Loop, DeferredFlushRunsInTheSameTurnFromATimer) {
  struct Counter : Flushable {
    int flushed = 0;
    void flush() override { ++flushed; }
  } target;
  Loop loop;
  Timer timer(loop);
  Timer longTimer(loop);
  longTimer.start(60000, 0, [] {});  // would block poll for a minute without the idle handle
  timer.start(1, 0, [&] { loop.deferFlush(target); });
  auto begin = std::chrono::steady_clock::now();
  while (target.flushed == 0) uv_run(loop.raw(), UV_RUN_ONCE);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  EXPECT_EQ(target.flushed, 1);
  longTimer.stop();
}

}  // namespace
}  // namespace tidecast::core
