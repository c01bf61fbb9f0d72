// A real loop with HttpServer + Router + WebSocketServer on loopback, and a blocking-free raw
// client (non-blocking socket, the test pumps the loop) that speaks just enough RFC 6455 to
// test the server: handshake, masked frames out, server frames in.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/router.h"
#include "api/websocket_server.h"
#include "core/log.h"
#include "tests/api/websocket_test_frames.h"
#include "tests/core/loop_test_util.h"

namespace tidecast::api::testing {

// One frame as the server sent it.
struct ServerFrame {
  uint8_t opcode = 0;
  bool fin = false;
  bool masked = false;
  std::string payload;
  uint16_t closeCode() const {
    return payload.size() >= 2 ? static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) |
                                                       static_cast<uint8_t>(payload[1]))
                               : 0;
  }
};

// Takes one complete server frame off the front of `buffer`.
inline std::optional<ServerFrame> takeFrame(std::string& buffer) {
  if (buffer.size() < 2) return std::nullopt;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(buffer[i]); };
  ServerFrame f;
  f.fin = (byte(0) & 0x80) != 0;
  f.opcode = byte(0) & 0x0F;
  f.masked = (byte(1) & 0x80) != 0;
  uint64_t length = byte(1) & 0x7F;
  size_t pos = 2;
  if (length == 126) {
    if (buffer.size() < 4) return std::nullopt;
    length = (uint64_t{byte(2)} << 8) | byte(3);
    pos = 4;
  } else if (length == 127) {
    if (buffer.size() < 10) return std::nullopt;
    length = 0;
    for (size_t i = 0; i < 8; ++i) length = (length << 8) | byte(2 + i);
    pos = 10;
  }
  if (buffer.size() < pos + length) return std::nullopt;
  f.payload = buffer.substr(pos, length);
  buffer.erase(0, pos + length);
  return f;
}

class WebSocketLoopTest : public ::testing::Test {
 protected:
  WebSocketLoopTest()
      : log_(core::makeLogger(config_.get<core::LogConfig>(),
                              std::make_shared<spdlog::sinks::null_sink_mt>())),
        context_{loop_, metrics_, *log_, config_} {}

  ~WebSocketLoopTest() override {
    for (int fd : fds_) ::close(fd);
    http_.reset();
    websockets_.reset();
    // Let closing handles finish.
    for (int i = 0; i < 10; ++i) uv_run(loop_.raw(), UV_RUN_NOWAIT);
  }

  void start(WebSocketHandler& handler, std::string_view path = "/ws") {
    websockets_ = std::make_unique<WebSocketServer>(context_);
    router_.add("GET", path, websockets_->endpoint(handler));
    http_ = std::make_unique<HttpServer>(
        context_, [this](HttpRequest& rq, const auto& rs) { router_.dispatch(rq, rs); });
    ASSERT_TRUE(http_->listen("127.0.0.1", 0).ok());
  }

  int connectClient() {
    int fd = core::connectTo(http_->port());
    EXPECT_GE(fd, 0);
    ::fcntl(fd, F_SETFL, O_NONBLOCK);
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fds_.push_back(fd);
    return fd;
  }

  static std::string handshake(std::string_view path = "/ws", std::string_view extra = {}) {
    std::string request = "GET ";
    request += path;
    request +=
        " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    request += extra;
    request += "\r\n";
    return request;
  }

  void send(int fd, std::string_view bytes) {
    size_t sent = 0;
    auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (sent < bytes.size() && std::chrono::steady_clock::now() < end) {
      ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      uv_run(loop_.raw(), UV_RUN_NOWAIT);
    }
    ASSERT_EQ(sent, bytes.size());
  }

  // Pumps the loop and reads into `received` until `done()` or the deadline. Returns false
  // on deadline. Sets `eof` when the server closed.
  template <class Pred>
  bool pumpRead(int fd, std::string& received, bool& eof, Pred done,
                std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    auto end = std::chrono::steady_clock::now() + deadline;
    while (!done() && std::chrono::steady_clock::now() < end) {
      uv_run(loop_.raw(), UV_RUN_NOWAIT);
      char buf[65536];
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n > 0) {
        received.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        eof = true;
        if (!done()) return false;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return done();
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

  // Connects and completes the handshake; the 101 head is checked and removed from the
  // client's buffer. `after` is sent in the same write as the request.
  int openClient(std::string_view after = {}) {
    int fd = connectClient();
    send(fd, handshake() + std::string(after));
    Client& c = clients_[fd];
    bool eof = false;
    pumpRead(fd, c.buffer, eof, [&] { return c.buffer.find("\r\n\r\n") != std::string::npos; });
    size_t end = c.buffer.find("\r\n\r\n");
    EXPECT_NE(end, std::string::npos) << c.buffer;
    if (end == std::string::npos) return fd;
    std::string head = c.buffer.substr(0, end + 4);
    EXPECT_EQ(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << head;
    EXPECT_NE(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"),
              std::string::npos)
        << head;
    c.buffer.erase(0, end + 4);
    return fd;
  }

  // The next frame from the server (nullopt on deadline or when the server closed first).
  std::optional<ServerFrame> nextFrame(
      int fd, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    Client& c = clients_[fd];
    std::optional<ServerFrame> frame;
    pumpRead(
        fd, c.buffer, c.eof,
        [&] {
          if (!frame) frame = takeFrame(c.buffer);
          return frame.has_value();
        },
        deadline);
    if (frame) {
      EXPECT_FALSE(frame->masked) << "server frames must not be masked";
    }
    return frame;
  }

  // True once the server closed the TCP connection (after any frames still buffered).
  bool serverClosed(int fd, std::chrono::milliseconds deadline = std::chrono::seconds(5)) {
    Client& c = clients_[fd];
    pumpRead(
        fd, c.buffer, c.eof, [&] { return c.eof; }, deadline);
    return c.eof;
  }

  struct Client {
    std::string buffer;
    bool eof = false;
  };

  core::Config config_;
  core::Loop loop_;
  core::MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_;
  core::LoopContext context_;
  Router router_;
  std::unique_ptr<WebSocketServer> websockets_;
  std::unique_ptr<HttpServer> http_;
  std::map<int, Client> clients_;
  std::vector<int> fds_;
};

}  // namespace tidecast::api::testing
