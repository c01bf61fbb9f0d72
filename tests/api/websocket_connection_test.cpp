// WebSocketConnection and WebSocketServer on a real loop over loopback: the upgrade hand-off
// from HTTP, echo, ping/pong, keepalive pings, idle and close timeouts, the close handshake,
// protocol failures with their close codes, the send backlog limit and shared frames.
#include "api/websocket_connection.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/api/websocket_fixture.h"

namespace tidecast::api {
namespace {

using testing::ClientFrame;
using testing::clientFrame;
using testing::closePayload;

constexpr uint8_t kText = 0x1;
constexpr uint8_t kBinary = 0x2;
constexpr uint8_t kClose = 0x8;
constexpr uint8_t kPing = 0x9;
constexpr uint8_t kPong = 0xA;

// Echoes every message; "close" makes it close with 4000; records what happens.
struct EchoHandler : WebSocketHandler {
  void onOpen(WebSocketConnection& connection) override { open.push_back(&connection); }
  void onMessage(WebSocketConnection& connection, WebSocketMessage& message) override {
    ++messages;
    if (message.data == "close") {
      connection.close(4000, "asked to");
      return;
    }
    if (message.binary) {
      connection.sendBinary(std::move(message.data));
    } else {
      connection.sendText(std::move(message.data));
    }
  }
  void onClose(WebSocketConnection& connection, uint16_t code, std::string_view reason) override {
    std::erase(open, &connection);
    closes.emplace_back(code, std::string(reason));
  }
  std::vector<WebSocketConnection*> open;
  std::vector<std::pair<uint16_t, std::string>> closes;
  int messages = 0;
};

class WebSocketConnectionTest : public testing::WebSocketLoopTest {
 protected:
  // The connections (owned by the base's server) call handler_ as they close: close them
  // before handler_ goes, not in the base destructor after it.
  ~WebSocketConnectionTest() override {
    http_.reset();
    websockets_.reset();
  }
  EchoHandler handler_;
};

TEST_F(WebSocketConnectionTest, UpgradesAndEchoesTextAndBinary) {
  start(handler_);
  int fd = openClient();
  ASSERT_TRUE(pumpUntil([&] { return handler_.open.size() == 1; }));
  EXPECT_EQ(handler_.open[0]->request().path, "/ws");
  send(fd, clientFrame("hello"));
  auto text = nextFrame(fd);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->opcode, kText);
  EXPECT_TRUE(text->fin);
  EXPECT_EQ(text->payload, "hello");
  std::string blob(70000, '\0');
  for (size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>(i * 7);
  send(fd, clientFrame(blob, {.opcode = kBinary}));
  auto binary = nextFrame(fd);
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->opcode, kBinary);
  EXPECT_EQ(binary->payload, blob);
  EXPECT_EQ(websockets_->connectionCount(), 1u);
  EXPECT_EQ(http_->connectionCount(), 0u) << "the HTTP connection hands the socket over";
}

TEST_F(WebSocketConnectionTest, FramesSentWithTheRequestAreNotLost) {
  start(handler_);
  int fd = openClient(clientFrame("early"));
  auto frame = nextFrame(fd);
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->payload, "early");
}

TEST_F(WebSocketConnectionTest, ReassemblesFragmentsAroundAPing) {
  start(handler_);
  int fd = openClient();
  send(fd, clientFrame("frag", {.opcode = kText, .fin = false}));
  send(fd, clientFrame("p1", {.opcode = kPing}));
  auto pong = nextFrame(fd);
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, kPong);
  EXPECT_EQ(pong->payload, "p1");
  send(fd, clientFrame("mented", {.opcode = 0x0}));
  auto text = nextFrame(fd);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->payload, "fragmented");
  EXPECT_EQ(handler_.messages, 1);
}

TEST_F(WebSocketConnectionTest, PeerCloseIsEchoedThenTcpEnds) {
  start(handler_);
  int fd = openClient();
  send(fd, clientFrame(closePayload(1000, "bye"), {.opcode = kClose}));
  auto close = nextFrame(fd);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, kClose);
  EXPECT_EQ(close->closeCode(), 1000);
  EXPECT_TRUE(serverClosed(fd)) << "the server closes TCP first";
  ASSERT_EQ(handler_.closes.size(), 1u);
  EXPECT_EQ(handler_.closes[0].first, 1000);
  EXPECT_EQ(handler_.closes[0].second, "bye");
  // The client ends its side too, as a real one does on EOF: the server forgets the
  // connection then, not only after websocket.close_timeout_ms (which raced the wait here).
  ::shutdown(fd, SHUT_WR);
  EXPECT_TRUE(pumpUntil([&] { return websockets_->connectionCount() == 0; }));
}

TEST_F(WebSocketConnectionTest, ServerCloseWaitsForThePeersClose) {
  config_.edit<WebSocketConfig>().closeTimeoutMs = 5000;
  start(handler_);
  int fd = openClient();
  send(fd, clientFrame("close"));
  auto close = nextFrame(fd);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->closeCode(), 4000);
  EXPECT_EQ(close->payload.substr(2), "asked to");
  send(fd, clientFrame("ignored after close"));
  send(fd, clientFrame(closePayload(4000), {.opcode = kClose}));
  EXPECT_TRUE(serverClosed(fd, std::chrono::seconds(2)));
  auto& c = clients_[fd];
  EXPECT_TRUE(c.buffer.empty()) << "nothing is echoed after our close";
  ASSERT_EQ(handler_.closes.size(), 1u);
  EXPECT_EQ(handler_.closes[0].first, 4000);
  EXPECT_EQ(handler_.messages, 1);
}

TEST_F(WebSocketConnectionTest, PeerThatNeverAnswersOurCloseIsDropped) {
  config_.edit<WebSocketConfig>().closeTimeoutMs = 150;
  start(handler_);
  int fd = openClient();
  send(fd, clientFrame("close"));
  auto close = nextFrame(fd);
  ASSERT_TRUE(close);
  auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(serverClosed(fd, std::chrono::seconds(3)));
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(100));
  EXPECT_TRUE(pumpUntil([&] { return websockets_->connectionCount() == 0; }));
}

TEST_F(WebSocketConnectionTest, ProtocolErrorsCloseWithTheirCodes) {
  config_.edit<WebSocketConfig>().maxFrameBytes = 1000;
  config_.edit<WebSocketConfig>().closeTimeoutMs = 200;  // the clients keep their sockets open
  start(handler_);
  struct Case {
    std::string frame;
    uint16_t code;
  };
  const Case cases[] = {
      {clientFrame("unmasked", {.masked = false}), ws_close::kProtocolError},
      {clientFrame("x", {.rsv = 1}), ws_close::kProtocolError},
      {clientFrame("bad \xff utf8"), ws_close::kInvalidData},
      {clientFrame(std::string(1001, 'x'), {.opcode = kBinary}), ws_close::kTooBig},
      {clientFrame(std::string(126, 'p'), {.opcode = kPing}), ws_close::kProtocolError},
  };
  for (const Case& c : cases) {
    int fd = openClient();
    send(fd, c.frame);
    auto close = nextFrame(fd);
    ASSERT_TRUE(close) << c.code;
    EXPECT_EQ(close->opcode, kClose);
    EXPECT_EQ(close->closeCode(), c.code);
    EXPECT_TRUE(serverClosed(fd)) << c.code;
  }
  EXPECT_EQ(handler_.messages, 0);
  EXPECT_TRUE(pumpUntil([&] { return websockets_->connectionCount() == 0; }));
  EXPECT_EQ(metrics_.counter("tidecast_api_websocket_closes_total", "", {{"code", "1002"}}).value(),
            3u);
}

TEST_F(WebSocketConnectionTest, PingsTheClientEveryInterval) {
  config_.edit<WebSocketConfig>().pingIntervalMs = 50;
  start(handler_);
  int fd = openClient();
  for (int i = 0; i < 2; ++i) {
    auto ping = nextFrame(fd, std::chrono::seconds(2));
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->opcode, kPing);
    send(fd, clientFrame(ping->payload, {.opcode = kPong}));
  }
}

TEST_F(WebSocketConnectionTest, IdleClientIsClosedWithGoingAway) {
  config_.edit<WebSocketConfig>().pingIntervalMs = 60000;
  config_.edit<WebSocketConfig>().idleTimeoutMs = 150;
  start(handler_);
  int fd = openClient();
  auto close = nextFrame(fd, std::chrono::seconds(3));
  ASSERT_TRUE(close);
  EXPECT_EQ(close->opcode, kClose);
  EXPECT_EQ(close->closeCode(), ws_close::kGoingAway);
  send(fd, clientFrame(closePayload(1001), {.opcode = kClose}));
  EXPECT_TRUE(serverClosed(fd));
}

TEST_F(WebSocketConnectionTest, FramesKeepAClientFromGoingIdle) {
  config_.edit<WebSocketConfig>().pingIntervalMs = 60000;
  config_.edit<WebSocketConfig>().idleTimeoutMs = 300;
  start(handler_);
  int fd = openClient();
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(700);
  while (std::chrono::steady_clock::now() < until) {
    send(fd, clientFrame("", {.opcode = kPong}));
    pumpUntil([] { return false; }, std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(clients_[fd].eof);
  EXPECT_TRUE(clients_[fd].buffer.empty());
  EXPECT_EQ(handler_.open.size(), 1u);
}

TEST_F(WebSocketConnectionTest, ClientThatNeverReadsIsDroppedAtTheBacklogLimit) {
  config_.edit<WebSocketConfig>().maxSendBacklogBytes = 256 * 1024;
  start(handler_);
  int fd = openClient();
  int small = 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_TRUE(pumpUntil([&] { return handler_.open.size() == 1; }));
  WebSocketConnection* connection = handler_.open[0];
  const WebSocketFrame chunk = WebSocketFrame::binary(std::string(64 * 1024, 'b'));
  bool refused = false;
  size_t maxBacklog = 0;
  for (int i = 0; i < 10000 && !refused; ++i) {
    refused = !connection->send(chunk);
    if (!refused) maxBacklog = std::max(maxBacklog, connection->backlogBytes());
    uv_run(loop_.raw(), UV_RUN_NOWAIT);
  }
  ASSERT_TRUE(refused) << "the sends must stop being accepted";
  EXPECT_LE(maxBacklog, config_.edit<WebSocketConfig>().maxSendBacklogBytes);
  ASSERT_EQ(handler_.closes.size(), 1u);
  EXPECT_EQ(handler_.closes[0].first, ws_close::kPolicy);
  EXPECT_TRUE(pumpUntil([&] { return websockets_->connectionCount() == 0; }));
}

TEST_F(WebSocketConnectionTest, OneFrameIsSharedByManyConnections) {
  start(handler_);
  int a = openClient();
  int b = openClient();
  ASSERT_TRUE(pumpUntil([&] { return handler_.open.size() == 2; }));
  core::Slice payload = core::Slice::fromString(std::string(10000, 'f'));
  WebSocketFrame frame = WebSocketFrame::fromSlices(WsOpcode::kText, {payload});
  for (auto* connection : handler_.open) EXPECT_TRUE(connection->send(frame));
  for (int fd : {a, b}) {
    auto got = nextFrame(fd);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->payload, payload.view());
  }
}

TEST_F(WebSocketConnectionTest, ConnectionLimitAnswers503) {
  config_.edit<WebSocketConfig>().maxConnections = 1;
  start(handler_);
  openClient();
  ASSERT_TRUE(pumpUntil([&] { return websockets_->connectionCount() == 1; }));
  int fd = connectClient();
  send(fd, handshake());
  auto& c = clients_[fd];
  EXPECT_TRUE(serverClosed(fd));
  EXPECT_EQ(c.buffer.rfind("HTTP/1.1 503", 0), 0u) << c.buffer;
  EXPECT_NE(c.buffer.find("ws.too_many_connections"), std::string::npos);
}

TEST_F(WebSocketConnectionTest, BadHandshakesGetHttpErrors) {
  start(handler_);
  int fd = connectClient();
  std::string request = handshake();
  request.replace(request.find("Version: 13"), 11, "Version: 12");
  send(fd, request);
  EXPECT_TRUE(serverClosed(fd));
  auto& c = clients_[fd];
  EXPECT_EQ(c.buffer.rfind("HTTP/1.1 426", 0), 0u) << c.buffer;
  EXPECT_NE(c.buffer.find("Sec-WebSocket-Version: 13\r\n"), std::string::npos);
  int plain = connectClient();
  send(plain, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string received;
  bool eof = false;
  pumpRead(plain, received, eof, [&] { return received.find("}") != std::string::npos; });
  EXPECT_EQ(received.rfind("HTTP/1.1 426", 0), 0u) << received;
  EXPECT_EQ(websockets_->connectionCount(), 0u);
}

TEST_F(WebSocketConnectionTest, AbruptDisconnectReports1006) {
  start(handler_);
  int fd = openClient();
  ASSERT_TRUE(pumpUntil([&] { return handler_.open.size() == 1; }));
  ::shutdown(fd, SHUT_RDWR);
  ASSERT_TRUE(pumpUntil([&] { return handler_.closes.size() == 1; }));
  EXPECT_EQ(handler_.closes[0].first, ws_close::kAbnormal);
  EXPECT_TRUE(pumpUntil([&] { return websockets_->connectionCount() == 0; }));
}

TEST_F(WebSocketConnectionTest, ShutdownClosesWithGoingAway) {
  start(handler_);
  int fd = openClient();
  ASSERT_TRUE(pumpUntil([&] { return handler_.open.size() == 1; }));
  websockets_->shutdown();
  auto close = nextFrame(fd);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->closeCode(), ws_close::kGoingAway);
  send(fd, clientFrame(closePayload(1001), {.opcode = kClose}));
  EXPECT_TRUE(serverClosed(fd));
}

}  // namespace
}  // namespace tidecast::api
