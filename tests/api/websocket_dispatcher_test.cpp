// WebSocketDispatcher: the JSON envelope over a real connection (built-in ping/echo, handlers
// registered per type, replies carrying the id, errors as envelopes), connection callbacks.
#include "api/websocket_dispatcher.h"

#include <gtest/gtest.h>

#include "tests/api/websocket_fixture.h"

namespace tidecast::api {
namespace {

using nlohmann::json;
using testing::ClientFrame;
using testing::clientFrame;
using testing::closePayload;

class WebSocketDispatcherTest : public testing::WebSocketLoopTest {
 protected:
  void startDispatcher() {
    dispatcher_ = std::make_unique<WebSocketDispatcher>(context_);
    dispatcher_->mount(router_, "/ws");
    http_ = std::make_unique<HttpServer>(
        context_, [this](HttpRequest& rq, const auto& rs) { router_.dispatch(rq, rs); });
    ASSERT_TRUE(http_->listen("127.0.0.1", 0).ok());
  }

  json roundTrip(int fd, std::string_view text) {
    send(fd, clientFrame(text));
    auto frame = nextFrame(fd);
    EXPECT_TRUE(frame);
    if (!frame) return nullptr;
    EXPECT_EQ(frame->opcode, 0x1);
    return json::parse(frame->payload);
  }

  ~WebSocketDispatcherTest() override {
    http_.reset();
    dispatcher_.reset();
  }

  std::unique_ptr<WebSocketDispatcher> dispatcher_;
};

TEST_F(WebSocketDispatcherTest, EchoAndPingAnswerWithTheId) {
  startDispatcher();
  int fd = openClient();
  EXPECT_EQ(roundTrip(fd, R"({"type":"echo","id":"a1","data":{"x":[1,2,"é"]}})"),
            json::parse(R"({"type":"echo","id":"a1","data":{"x":[1,2,"é"]}})"));
  EXPECT_EQ(roundTrip(fd, R"({"type":"ping","id":7,"data":123})"),
            json::parse(R"({"type":"pong","id":7,"data":123})"));
  json noId = roundTrip(fd, R"({"type":"ping"})");
  EXPECT_EQ(noId, json::parse(R"({"type":"pong","data":null})"));
}

TEST_F(WebSocketDispatcherTest, RegisteredHandlersReplySendAndClose) {
  std::vector<uint64_t> connected;
  std::vector<uint16_t> disconnected;
  dispatcher_ = nullptr;
  startDispatcher();
  dispatcher_->on("sum", [](WebSocketCall& call) {
    int total = 0;
    for (const auto& n : call.data.at("numbers")) total += n.get<int>();
    call.reply("sum.result", {{"total", total}});
  });
  dispatcher_->on("bye", [](WebSocketCall& call) { call.connection.close(4001, "bye"); });
  dispatcher_->onConnect([&](WebSocketConnection& c) { connected.push_back(c.id()); });
  dispatcher_->onDisconnect(
      [&](WebSocketConnection&, uint16_t code, std::string_view) { disconnected.push_back(code); });
  int fd = openClient();
  ASSERT_TRUE(pumpUntil([&] { return connected.size() == 1; }));
  EXPECT_EQ(roundTrip(fd, R"({"type":"sum","id":"s","data":{"numbers":[1,2,3]}})"),
            json::parse(R"({"type":"sum.result","id":"s","data":{"total":6}})"));
  json bad = roundTrip(fd, R"({"type":"sum","id":2,"data":{"numbers":"no"}})");
  EXPECT_EQ(bad["type"], "error");
  EXPECT_EQ(bad["id"], 2);
  EXPECT_EQ(bad["data"]["code"], "ws.bad_data");
  send(fd, clientFrame(R"({"type":"bye"})"));
  auto close = nextFrame(fd);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->closeCode(), 4001);
  ASSERT_EQ(disconnected.size(), 1u);
  EXPECT_EQ(disconnected[0], 4001);
}

TEST_F(WebSocketDispatcherTest, ProblemsAreAnsweredAsErrorEnvelopes) {
  startDispatcher();
  int fd = openClient();
  struct Case {
    std::string text;
    std::string code;
    json id;
  };
  const Case cases[] = {
      {"{not json", "ws.bad_json", nullptr},
      {std::string(100, '[') + std::string(100, ']'), "ws.bad_json", nullptr},
      {"[1,2]", "ws.bad_envelope", nullptr},
      {R"({"id":"q"})", "ws.bad_envelope", "q"},
      {R"({"type":5,"id":3})", "ws.bad_envelope", 3},
      {R"({"type":"echo","id":{"a":1}})", "ws.bad_envelope", nullptr},
      {R"({"type":"nope","id":"n1"})", "ws.unknown_type", "n1"},
  };
  for (const Case& c : cases) {
    json reply = roundTrip(fd, c.text);
    EXPECT_EQ(reply["type"], "error") << c.text;
    EXPECT_EQ(reply["data"]["code"], c.code) << c.text;
    EXPECT_TRUE(reply["data"]["message"].is_string()) << c.text;
    EXPECT_EQ(reply["id"], c.id) << c.text;
  }
  send(fd, clientFrame("{}", {.opcode = 0x2}));
  auto binary = nextFrame(fd);
  ASSERT_TRUE(binary);
  EXPECT_EQ(json::parse(binary->payload)["data"]["code"], "ws.binary");
  // Still open after all of that.
  EXPECT_EQ(roundTrip(fd, R"({"type":"echo","data":1})")["data"], 1);
}

TEST_F(WebSocketDispatcherTest, RejectsDuplicateAndEmptyTypes) {
  startDispatcher();
  EXPECT_THROW(dispatcher_->on("echo", [](WebSocketCall&) {}), std::invalid_argument);
  EXPECT_THROW(dispatcher_->on("", [](WebSocketCall&) {}), std::invalid_argument);
}

TEST(JsonDepth, CountsNestingOutsideStrings) {
  EXPECT_FALSE(jsonNestsDeeperThan(R"({"a":[[1]]})", 3));
  EXPECT_TRUE(jsonNestsDeeperThan(R"({"a":[[[1]]]})", 3));
  EXPECT_FALSE(jsonNestsDeeperThan(R"({"a":"[[[[[[\"[["})", 1));
}

TEST(Envelope, LeavesOutANullId) {
  EXPECT_EQ(WebSocketDispatcher::envelope("t", nullptr, {{"k", 1}}),
            R"({"data":{"k":1},"type":"t"})");
  EXPECT_EQ(WebSocketDispatcher::envelope("t", "i", nullptr),
            R"({"data":null,"id":"i","type":"t"})");
}

}  // namespace
}  // namespace tidecast::api
