// HttpServer on a real loop over loopback, for what only handlers can do: answers given
// later (held requests), streamed chunked answers, in-order pipelining around a held answer,
// clients that leave while held, and slow clients past the backlog limit.
#include "api/http_server.h"
#include "tests/core/loop_test_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include "api/router.h"
#include "core/log.h"

namespace tidecast::api {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest()
      : log_(core::makeLogger(config_.get<core::LogConfig>(),
                              std::make_shared<spdlog::sinks::null_sink_mt>())),
        context_{loop_, metrics_, *log_, config_} {}

  void start() {
    server_ = std::make_unique<HttpServer>(
        context_, [this](HttpRequest& rq, const auto& rs) { router_.dispatch(rq, rs); });
    ASSERT_TRUE(server_->listen("127.0.0.1", 0).ok());
  }

  int connectClient() {
    int fd = core::connectTo(server_->port());
    EXPECT_GE(fd, 0);
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
  }

  void send(int fd, std::string_view bytes) {
    ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), static_cast<ssize_t>(bytes.size()));
  }

  // Pumps the loop and reads what the client receives until `done(received)` or deadline.
  template <class Pred>
  std::string readUntil(int fd, Pred done,
                        std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    std::string received;
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done(received) && std::chrono::steady_clock::now() < end) {
      uv_run(loop_.raw(), UV_RUN_NOWAIT);
      char buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n > 0) received.append(buf, static_cast<size_t>(n));
      if (n == 0) break;
      if (n < 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return received;
  }

  // Everything the client receives until the server closes the connection (true) or the
  // deadline passes (false).
  std::pair<std::string, bool> readUntilClosed(int fd, std::chrono::milliseconds deadline) {
    std::string received;
    auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      uv_run(loop_.raw(), UV_RUN_NOWAIT);
      char buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n == 0) return {received, true};
      if (n > 0) received.append(buf, static_cast<size_t>(n));
      if (n < 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return {received, false};
  }

  template <class Pred>
  bool pumpUntil(Pred done, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      uv_run(loop_.raw(), UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return done();
  }

  static auto contains(std::string needle) {
    return [needle](const std::string& s) { return s.find(needle) != std::string::npos; };
  }

  core::Config config_;
  core::Loop loop_;
  core::MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_;
  core::LoopContext context_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, HeldResponseKeepsPipelinedAnswersInOrder) {
  std::shared_ptr<HttpResponse> held;
  router_.add("GET", "/held", [&](HttpRequest&, const auto& response) { held = response; });
  router_.add("GET", "/now", [](HttpRequest&, const auto& response) {
    response->send(200, "text/plain", "second");
  });
  start();
  int fd = connectClient();
  send(fd, "GET /held HTTP/1.1\r\nHost: x\r\n\r\nGET /now HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string early = readUntil(
      fd, [](const auto&) { return false; }, std::chrono::milliseconds(100));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(early, "") << "the second answer must wait for the first";
  held->send(200, "text/plain", "first");
  std::string all = readUntil(fd, contains("second"));
  size_t first = all.find("first");
  ASSERT_NE(first, std::string::npos);
  EXPECT_LT(first, all.find("second"));
  ::close(fd);
}

TEST_F(HttpServerTest, StreamsChunkedBodyAsItIsProduced) {
  std::shared_ptr<HttpResponse> stream;
  router_.add("GET", "/live.flv", [&](HttpRequest&, const auto& response) {
    response->beginStream(200, {{"Content-Type", "video/x-flv"}});
    stream = response;
  });
  start();
  int fd = connectClient();
  send(fd, "GET /live.flv HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = readUntil(fd, contains("\r\n\r\n"));
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos);
  ASSERT_NE(stream, nullptr);
  core::Slice payload = core::Slice::copyOf(std::string_view("FLV-bytes"));
  EXPECT_TRUE(stream->writeChunk({payload}));
  EXPECT_NE(readUntil(fd, contains("9\r\nFLV-bytes\r\n")).find("FLV-bytes"), std::string::npos);
  stream->endStream();
  EXPECT_NE(readUntil(fd, contains("0\r\n\r\n")).find("0\r\n\r\n"), std::string::npos);
  ::close(fd);
}

TEST_F(HttpServerTest, ClientLeavingReleasesHeldResponse) {
  std::shared_ptr<HttpResponse> held;
  bool gone = false;
  router_.add("GET", "/held", [&](HttpRequest&, const auto& response) {
    held = response;
    response->setOnClientGone([&] { gone = true; });
  });
  start();
  int fd = connectClient();
  send(fd, "GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(pumpUntil([&] { return held != nullptr; }));
  ::close(fd);
  ASSERT_TRUE(pumpUntil([&] { return gone; }));
  EXPECT_TRUE(held->clientGone());
  held->send(200, "text/plain", "nobody listens");  // ignored, no crash
  EXPECT_TRUE(pumpUntil([&] { return server_->connectionCount() == 0; }));
}

TEST_F(HttpServerTest, SlowReaderPastTheBacklogIsDropped) {
  config_.edit<HttpConfig>().limits.maxResponseBacklogBytes = 256 * 1024;
  std::shared_ptr<HttpResponse> stream;
  router_.add("GET", "/firehose", [&](HttpRequest&, const auto& response) {
    response->beginStream(200, {});
    stream = response;
  });
  start();
  int fd = connectClient();  // never reads
  send(fd, "GET /firehose HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(pumpUntil([&] { return stream != nullptr; }));
  core::Slice chunk = core::Slice::copyOf(std::string(64 * 1024, 'x'));
  int accepted = 0;
  while (accepted < 10000 && stream->writeChunk({chunk})) {
    ++accepted;
    uv_run(loop_.raw(), UV_RUN_NOWAIT);
  }
  EXPECT_LT(accepted, 10000) << "a reader that never reads must be dropped";
  EXPECT_TRUE(stream->clientGone());
  EXPECT_TRUE(pumpUntil([&] { return server_->connectionCount() == 0; }));
  EXPECT_TRUE(pumpUntil([&] { return chunk.useCount() == 1; }))
      << "dropping the client releases the queued slices; still held: " << chunk.useCount();
  ::close(fd);
}

TEST_F(HttpServerTest, HandlerExceptionBecomes500AndServerLivesOn) {
  router_.add("GET", "/boom",
              [](HttpRequest&, const auto&) -> void { throw std::runtime_error("handler bug"); });
  start();
  int fd = connectClient();
  send(fd, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string reply = readUntil(fd, contains("}"));
  EXPECT_EQ(reply.rfind("HTTP/1.1 500", 0), 0u) << reply;
  ::close(fd);
}

TEST_F(HttpServerTest, GracefulShutdownAnswersHeldRequestThenCloses) {
  std::shared_ptr<HttpResponse> held;
  router_.add("GET", "/held", [&](HttpRequest&, const auto& response) { held = response; });
  start();
  int fd = connectClient();
  send(fd, "GET /held HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(pumpUntil([&] { return held != nullptr; }));
  bool drained = false;
  server_->shutdown(5000, [&] { drained = true; });
  EXPECT_FALSE(drained);
  held->send(200, "text/plain", "last words");
  std::string reply = readUntil(fd, [](const auto&) { return false; });  // until the server closes
  EXPECT_NE(reply.find("Connection: close"), std::string::npos);
  EXPECT_NE(reply.find("last words"), std::string::npos);
  ::close(fd);
  EXPECT_TRUE(pumpUntil([&] { return drained; }));
}

// Inputs llhttp could sit on, waiting for bytes that never come (a chunk of 2^64-1 bytes, the
// byte after an HTTP/0.9 request line): each is answered and the connection closed at once,
// long before the header timeout.
TEST_F(HttpServerTest, RefusedRequestsAreAnsweredAndClosedAtOnce) {
  config_.edit<HttpConfig>().limits.headerTimeoutMs = 8000;
  config_.edit<HttpConfig>().limits.maxBodyBytes = 1024;
  start();
  const std::string chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  struct Case {
    std::string input;
    std::string status;
    std::string code;
  };
  const Case cases[] = {
      {chunked + "ffffffffffffffff\r\n", "400", "http.bad_chunk_size"},
      {chunked + "401\r\n", "413", "http.body_too_large"},
      {"GET /healthz\r\n", "400", "http.malformed"},
      {"GET /healthz HTTP/2.0\r\n", "505", "http.version"},
      {"GET /healthz HTTP/3.1\r\nHost: x\r\n\r\n", "505", "http.version"},
  };
  for (const Case& c : cases) {
    int fd = connectClient();
    auto begin = std::chrono::steady_clock::now();
    send(fd, c.input);
    auto [reply, closed] = readUntilClosed(fd, std::chrono::seconds(3));
    auto elapsed = std::chrono::steady_clock::now() - begin;
    EXPECT_EQ(reply.rfind("HTTP/1.1 " + c.status + " ", 0), 0u) << c.input << " got: " << reply;
    EXPECT_NE(reply.find("\"code\":\"" + c.code + "\""), std::string::npos) << reply;
    EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
    EXPECT_TRUE(closed) << c.input << ": the server kept the connection open";
    EXPECT_LT(elapsed, std::chrono::seconds(1)) << c.input;
    ::close(fd);
  }
}

}  // namespace
}  // namespace tidecast::api
