// RedisClient on one redis-server: what the cluster work must not change, and the clock of
// its command timeouts.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include "core/loop.h"
#include "social/store/redis_client.h"
#include "tests/social/store/redis_server.h"
#include "tests/social/store/spin_loop.h"

namespace tidecast::social::store {
namespace {

using testing::spin;

class RedisClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.setExtraArgs({"--enable-debug-command", "yes"});  // DEBUG SLEEP: a slow reply
    ASSERT_TRUE(server_.start());
    RedisConfig s;
    s.host = "127.0.0.1";
    s.port = server_.port();
    s.commandTimeoutMs = 300;
    s.connectTimeoutMs = 1000;
    client_ = std::make_unique<RedisClient>(loop_, s, *log_);
    client_->start();
    ASSERT_TRUE(spin(loop_, [&] { return client_->connected(); }));
  }
  void TearDown() override {
    client_.reset();
    spin(
        loop_, [] { return false; }, 20);
  }

  core::Result<RedisValue> command(RedisClient::Command args) {
    std::optional<core::Result<RedisValue>> result;
    client_->command(std::move(args), [&](auto r) { result.emplace(std::move(r)); });
    EXPECT_TRUE(spin(loop_, [&] { return result.has_value(); })) << "no answer";
    return result ? std::move(*result) : core::makeError("test.timeout", "no answer");
  }

  core::Loop loop_;
  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  testing::RedisServer server_{true};  // restarted on its port in a test
  std::unique_ptr<RedisClient> client_;
};

TEST_F(RedisClientTest, OneNodeServesEverythingAndErrorsAreStoreErrors) {
  EXPECT_FALSE(client_->cluster());
  EXPECT_EQ(client_->masters(),
            std::vector<std::string>{"127.0.0.1:" + std::to_string(server_.port())});
  ASSERT_TRUE(command({"SET", "a", "1"}).ok());
  EXPECT_EQ(command({"GET", "a"})->text, "1");
  auto wrong = command({"INCR", "a", "b"});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, "social.store");
  EXPECT_EQ(client_->failures(), 1u);
  // Cross-slot commands are fine on one node.
  auto both = command({"MGET", "a", "b"});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->elements.size(), 2u);
}

// A command sent after the loop stood still longer than the command timeout is not taken
// for an overdue one (the loop's clock was stale at the send).
TEST_F(RedisClientTest, AStalledLoopDoesNotTimeOutTheNextCommand) {
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // 2 x commandTimeoutMs
  auto reply = command({"PING"});
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->text, "PONG");
  EXPECT_TRUE(client_->connected());
  EXPECT_EQ(client_->reconnects(), 0u);
}

TEST_F(RedisClientTest, AnOverdueReplyStillDropsTheConnection) {
  std::optional<core::Result<RedisValue>> slow;
  client_->command({"DEBUG", "SLEEP", "1"}, [&](auto r) { slow.emplace(std::move(r)); });
  ASSERT_TRUE(spin(
      loop_, [&] { return slow.has_value(); }, 5000));
  ASSERT_FALSE(slow->ok());
  EXPECT_EQ(slow->error().code, "social.store_unavailable");
  ASSERT_TRUE(spin(loop_, [&] { return client_->connected(); })) << "reopened";
  EXPECT_GE(client_->reconnects(), 1u);
}

// Every subscriber hears each change of connected() until it unsubscribes (plug-ins sharing
// one client each keep their own subscription).
TEST_F(RedisClientTest, EverySubscriberHearsStateChangesUntilItUnsubscribes) {
  std::vector<bool> first, second, third;
  uint64_t a = client_->subscribe([&](bool up) { first.push_back(up); });
  uint64_t b = client_->subscribe([&](bool up) { second.push_back(up); });
  uint64_t c = client_->subscribe([&](bool up) { third.push_back(up); });
  EXPECT_NE(a, b);
  client_->unsubscribe(b);
  server_.stop(SIGKILL);
  EXPECT_FALSE(command({"PING"}).ok());  // the client learns of the loss now at the latest
  ASSERT_TRUE(spin(loop_, [&] { return !client_->connected(); }));
  client_->unsubscribe(c);
  ASSERT_TRUE(server_.start());
  ASSERT_TRUE(spin(
      loop_, [&] { return client_->connected(); }, 10000));
  EXPECT_EQ(first, (std::vector<bool>{false, true}));
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(third, (std::vector<bool>{false}));
  client_->unsubscribe(a);
}

}  // namespace
}  // namespace tidecast::social::store
