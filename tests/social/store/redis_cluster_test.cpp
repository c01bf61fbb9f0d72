// RedisClient against a real 3-master Redis Cluster (redis_cluster.h): the slot function
// against the Cluster spec and the servers' own CLUSTER KEYSLOT, routing of commands and
// pipelines, MOVED after a slot migrated under the client, ASK during a migration, TRYAGAIN,
// bounded redirections, every-master commands, and a master killed and restarted.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <set>

#include "core/loop.h"
#include "social/store/redis_client.h"
#include "social/store/redis_cluster_slots.h"
#include "tests/social/store/redis_cluster.h"
#include "tests/social/store/spin_loop.h"

namespace tidecast::social::store {
namespace {

using testing::RedisCluster;
using testing::spin;

// ---- the slot function and the protocol pieces (no server) ------------------------------

TEST(RedisClusterSlots, Crc16IsTheSpecsXmodem) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the Cluster spec's check value
  EXPECT_EQ(crc16(""), 0);
  EXPECT_EQ(keySlot("123456789"), 0x31C3 & 0x3FFF);
  EXPECT_EQ(keySlot("foo"), 12182);
  EXPECT_EQ(keySlot("bar"), 5061);
  EXPECT_EQ(keySlot("hello"), 866);
}

TEST(RedisClusterSlots, HashTagsFollowTheSpecsRules) {
  EXPECT_EQ(keySlot("{user1000}.following"), keySlot("{user1000}.followers"));
  EXPECT_EQ(keySlot("{user1000}.following"), keySlot("user1000"));
  EXPECT_EQ(keySlot("foo{}{bar}"), crc16("foo{}{bar}") & 0x3FFF) << "empty tag: whole key";
  EXPECT_EQ(keySlot("foo{{bar}}zap"), keySlot("{bar")) << "from the first '{' to the first '}'";
  EXPECT_EQ(keySlot("foo{bar}{zap}"), keySlot("bar")) << "the first tag only";
  EXPECT_EQ(keySlot("foo{bar"), crc16("foo{bar") & 0x3FFF) << "no closing brace";
  EXPECT_EQ(keySlot("social:graph:following:{alice}"), keySlot("social:graph:outbox:{alice}"));
}

TEST(RedisClusterSlots, TheKeyOfACommand) {
  using Args = std::vector<std::string>;
  EXPECT_EQ(commandKey(Args{"GET", "k"}), "k");
  EXPECT_EQ(commandKey(Args{"zscore", "k", "m"}), "k");
  EXPECT_EQ(commandKey(Args{"EVAL", "return 1", "2", "a", "b", "x"}), "a");
  EXPECT_EQ(commandKey(Args{"evalsha", "abc", "1", "a"}), "a");
  EXPECT_FALSE(commandKey(Args{"EVAL", "return 1", "0", "x"}));
  EXPECT_FALSE(commandKey(Args{"EVAL", "return 1", "nope", "x"}));
  EXPECT_FALSE(commandKey(Args{"PING"}));
  EXPECT_FALSE(commandKey(Args{"SCAN", "0"}));
  EXPECT_FALSE(commandKey(Args{"SCRIPT", "LOAD", "return 1"}));
  EXPECT_FALSE(commandKey(Args{"CLUSTER", "SLOTS"}));
}

TEST(RedisClusterSlots, ParsesRedirections) {
  auto moved = parseRedirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->host, "127.0.0.1");
  EXPECT_EQ(moved->port, 6381);
  auto ask = parseRedirect("ASK 12 ::1:7000");
  ASSERT_TRUE(ask);
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->host, "::1");
  EXPECT_EQ(ask->port, 7000);
  auto unknownHost = parseRedirect("MOVED 5 :7001");
  ASSERT_TRUE(unknownHost);
  EXPECT_EQ(unknownHost->host, "");
  EXPECT_FALSE(parseRedirect("MOVED 16384 127.0.0.1:1"));
  EXPECT_FALSE(parseRedirect("MOVED x 127.0.0.1:1"));
  EXPECT_FALSE(parseRedirect("ERR wrong number of arguments"));
  EXPECT_FALSE(parseRedirect("ASK 1 127.0.0.1"));
}

// ---- against a cluster ----------------------------------------------------------------------

std::string text(const testing::ReplyPtr& reply) {
  return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS ||
                   reply->type == REDIS_REPLY_ERROR)
             ? std::string(reply->str, reply->len)
             : std::string();
}

class RedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cluster_.start()) << "redis-server/redis-cli did not make a cluster";
    connect(cluster_.port());
    ASSERT_TRUE(spin(loop_, [&] { return client_->connected(); })) << "slot map and 3 masters";
  }
  void connect(uint16_t seed) {
    RedisConfig s;
    s.host = "127.0.0.1";
    s.port = seed;
    s.cluster = true;
    s.reconnectMinMs = 20;
    s.reconnectMaxMs = 200;
    s.commandTimeoutMs = 1000;
    s.connectTimeoutMs = 1000;
    client_ = std::make_unique<RedisClient>(loop_, s, *log_);
    client_->start();
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
  core::Result<std::vector<RedisValue>> pipeline(std::vector<RedisClient::Command> commands) {
    std::optional<core::Result<std::vector<RedisValue>>> result;
    client_->pipeline(std::move(commands), [&](auto r) { result.emplace(std::move(r)); });
    EXPECT_TRUE(spin(loop_, [&] { return result.has_value(); })) << "no answer";
    return result ? std::move(*result) : core::makeError("test.timeout", "no answer");
  }

  std::string nodeId(size_t i) { return text(cluster_.node(i).command({"CLUSTER", "MYID"})); }
  // A key (hash tag {tag<n>}) whose slot node `i` serves.
  std::string keyOnNode(size_t i, int from = 0) {
    for (int n = from; n < from + 10000; ++n) {
      std::string key = "{tag" + std::to_string(n) + "}";
      if (cluster_.nodeOfSlot(keySlot(key)) == static_cast<int>(i)) return key;
    }
    return "";
  }
  // Starts moving `slot` from node `from` to node `to` (IMPORTING, then MIGRATING).
  void beginMigration(int slot, size_t from, size_t to) {
    std::string s = std::to_string(slot);
    ASSERT_EQ(text(cluster_.node(to).command({"CLUSTER", "SETSLOT", s, "IMPORTING", nodeId(from)})),
              "OK");
    ASSERT_EQ(text(cluster_.node(from).command({"CLUSTER", "SETSLOT", s, "MIGRATING", nodeId(to)})),
              "OK");
  }
  void migrateKey(const std::string& key, size_t from, size_t to) {
    auto moved = cluster_.node(from).command(
        {"MIGRATE", "127.0.0.1", std::to_string(cluster_.node(to).port()), key, "0", "5000"});
    ASSERT_EQ(text(moved), "OK");
  }
  // Ends the migration: every node learns that `to` serves the slot.
  void endMigration(int slot, size_t to) {
    std::string id = nodeId(to);
    for (size_t i : {to, size_t{0}, size_t{1}, size_t{2}}) {
      ASSERT_EQ(
          text(cluster_.node(i).command({"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", id})),
          "OK");
    }
  }

  core::Loop loop_;
  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  RedisCluster cluster_;
  std::unique_ptr<RedisClient> client_;
};

TEST_F(RedisClusterTest, SlotsAgreeWithTheServers) {
  for (std::string key : {"a", "foo", "123456789", "{user1000}.following", "foo{}{bar}",
                          "foo{{bar}}zap", "social:graph:pending:{outbox}", "\xff\x01 binary"}) {
    auto slot = cluster_.node(0).command({"CLUSTER", "KEYSLOT", key});
    ASSERT_TRUE(slot);
    EXPECT_EQ(slot->integer, keySlot(key)) << key;
  }
}

TEST_F(RedisClusterTest, RoutesCommandsAndPipelinesAcrossTheNodes) {
  EXPECT_EQ(client_->masters().size(), RedisCluster::kNodes);
  std::vector<RedisClient::Command> sets;
  std::vector<RedisClient::Command> gets;
  for (int i = 0; i < 60; ++i) {
    std::string key = "key:" + std::to_string(i);
    sets.push_back({"SET", key, "v" + std::to_string(i)});
    gets.push_back({"GET", key});
  }
  ASSERT_TRUE(pipeline(sets).ok());
  auto values = pipeline(gets);
  ASSERT_TRUE(values.ok()) << values.error().message;
  for (int i = 0; i < 60; ++i) EXPECT_EQ((*values)[i].text, "v" + std::to_string(i));
  // Each key sits on the node of its slot, and every node got some.
  for (size_t n = 0; n < RedisCluster::kNodes; ++n) {
    EXPECT_GT(cluster_.node(n).command({"DBSIZE"})->integer, 0) << "node " << n;
  }
  for (int i = 0; i < 60; ++i) {
    std::string key = "key:" + std::to_string(i);
    int owner = cluster_.nodeOfSlot(keySlot(key));
    ASSERT_GE(owner, 0);
    EXPECT_EQ(text(cluster_.node(owner).command({"GET", key})), "v" + std::to_string(i));
  }
  // A script's first key routes it; a keyless command goes anywhere.
  auto script = command({"EVAL", "return redis.call('GET', KEYS[1])", "1", "key:7"});
  ASSERT_TRUE(script.ok()) << script.error().message;
  EXPECT_EQ(script->text, "v7");
  EXPECT_EQ(command({"PING"})->text, "PONG");
  EXPECT_EQ(client_->failures(), 0u);
}

TEST_F(RedisClusterTest, FollowsMovedAfterASlotMigratedUnderTheClient) {
  std::string key = keyOnNode(0);
  int slot = keySlot(key);
  ASSERT_TRUE(command({"SET", key, "before"}).ok());
  beginMigration(slot, 0, 1);
  migrateKey(key, 0, 1);
  endMigration(slot, 1);
  // The client still maps the slot to node 0: MOVED, resent to node 1, answered.
  auto value = command({"GET", key});
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(value->text, "before");
  auto set = command({"SET", key, "after"});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(text(cluster_.node(1).command({"GET", key})), "after");
  EXPECT_EQ(cluster_.node(0).command({"EXISTS", key})->integer, 0);
  EXPECT_EQ(client_->failures(), 0u);
}

TEST_F(RedisClusterTest, FollowsAskDuringAMigration) {
  std::string stays = keyOnNode(0);
  int slot = keySlot(stays);
  std::string moved = stays + ":moved";
  std::string fresh = stays + ":fresh";
  ASSERT_TRUE(pipeline({{"SET", stays, "1"}, {"SET", moved, "2"}}).ok());
  beginMigration(slot, 0, 1);
  migrateKey(moved, 0, 1);
  // Node 0 still serves what it has, and ASKs for what it has not: ASKING, then node 1.
  EXPECT_EQ(command({"GET", stays})->text, "1");
  auto got = command({"GET", moved});
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->text, "2");
  ASSERT_TRUE(command({"SET", fresh, "3"}).ok());
  EXPECT_EQ(cluster_.node(1).command({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(slot)})->integer,
            2)
      << "the new key was written to the importing node";
  // The map did not change: the slot's keys still on node 0 are read there.
  EXPECT_EQ(command({"GET", stays})->text, "1");
  // Keys split between the two nodes: TRYAGAIN fails the command, no spin.
  auto both = command({"MGET", stays, moved});
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().code, "social.store_unavailable");
  EXPECT_NE(both.error().message.find("TRYAGAIN"), std::string::npos) << both.error().message;
}

TEST_F(RedisClusterTest, RedirectionsAreBounded) {
  // Node 0 says node 1 serves the slot, node 1 says node 0 does: MOVED back and forth.
  std::string key = keyOnNode(0);
  int slot = keySlot(key);
  ASSERT_EQ(text(cluster_.node(0).command(
                {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE", nodeId(1)})),
            "OK");
  auto looped = command({"GET", key});
  ASSERT_FALSE(looped.ok());
  EXPECT_EQ(looped.error().code, "social.store");
  EXPECT_NE(looped.error().message.find("redirections"), std::string::npos)
      << looped.error().message;
}

TEST_F(RedisClusterTest, EveryMasterCommands) {
  std::set<std::string> written;
  for (int i = 0; i < 30; ++i) {
    std::string key = "social:followers:{u" + std::to_string(i) + "}";
    written.insert(key);
    ASSERT_TRUE(command({"SET", key, "x"}).ok());
  }
  // A SCAN on each master sees each key once.
  std::set<std::string> scanned;
  for (const std::string& node : client_->masters()) {
    std::string cursor = "0";
    for (int round = 0; round < 100; ++round) {
      std::optional<core::Result<RedisValue>> reply;
      client_->commandOn(node, {"SCAN", cursor, "MATCH", "social:followers:*"},
                         [&](auto r) { reply.emplace(std::move(r)); });
      ASSERT_TRUE(spin(loop_, [&] { return reply.has_value(); }));
      ASSERT_TRUE(reply->ok());
      for (const auto& k : (**reply).elements[1].elements) scanned.insert(k.text);
      cursor = (**reply).elements[0].text;
      if (cursor == "0") break;
    }
  }
  EXPECT_EQ(scanned, written);
  // SCRIPT LOAD reaches every master, so EVALSHA works for any key.
  auto sha = command({"SCRIPT", "LOAD", "return 7"});
  ASSERT_TRUE(sha.ok()) << sha.error().message;
  for (size_t n = 0; n < RedisCluster::kNodes; ++n) {
    auto exists = cluster_.node(n).command({"SCRIPT", "EXISTS", sha->text});
    ASSERT_TRUE(exists && exists->type == REDIS_REPLY_ARRAY);
    EXPECT_EQ(exists->element[0]->integer, 1) << "node " << n;
  }
  std::optional<core::Result<std::vector<RedisValue>>> sizes;
  client_->commandOnAllMasters({"DBSIZE"}, [&](auto r) { sizes.emplace(std::move(r)); });
  ASSERT_TRUE(spin(loop_, [&] { return sizes.has_value(); }));
  ASSERT_TRUE(sizes->ok());
  int64_t total = 0;
  for (const auto& size : **sizes) total += size.integer;
  EXPECT_EQ(total, 30);
}

TEST_F(RedisClusterTest, AMasterKilledFailsItsSlotsOnlyAndComesBack) {
  std::string onKilled = keyOnNode(1);
  std::string onLive = keyOnNode(0);
  ASSERT_TRUE(pipeline({{"SET", onKilled, "k"}, {"SET", onLive, "l"}}).ok());
  cluster_.node(1).stop(SIGKILL);
  ASSERT_TRUE(spin(loop_, [&] { return !client_->connected(); }));
  auto failed = command({"GET", onKilled});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "social.store_unavailable");
  auto live = command({"GET", onLive});
  ASSERT_TRUE(live.ok()) << "the other masters keep answering: " << live.error().message;
  EXPECT_EQ(live->text, "l");
  auto split = pipeline({{"GET", onLive}, {"GET", onKilled}});
  ASSERT_FALSE(split.ok());
  EXPECT_EQ(split.error().code, "social.store_unavailable");
  // Back on the same port with the same node id and slots (and no data: no persistence).
  ASSERT_TRUE(cluster_.start());
  ASSERT_TRUE(spin(loop_, [&] { return client_->connected(); })) << "reconnects by itself";
  EXPECT_GE(client_->reconnects(), 1u);
  std::optional<core::Result<RedisValue>> back;
  ASSERT_TRUE(spin(loop_, [&] {
    back = command({"SET", onKilled, "again"});
    if (!back->ok())
      spin(
          loop_, [] { return false; }, 50);
    return back->ok();
  })) << back->error().message;
  EXPECT_EQ(text(cluster_.node(1).command({"GET", onKilled})), "again");
}

TEST_F(RedisClusterTest, ClusterDownFailsAtOnce) {
  std::string onLive = keyOnNode(0);
  cluster_.node(1).stop(SIGKILL);
  // Past the node timeout the others declare it failed and refuse every slot. (The loop runs
  // meanwhile: its clock and the client's command timeouts stay current.)
  ASSERT_TRUE(spin(
      loop_,
      [&] {
        auto info = cluster_.node(0).command({"CLUSTER", "INFO"});
        return text(info).find("cluster_state:fail") != std::string::npos;
      },
      20000))
      << "node 0 never saw the cluster down";
  uint64_t before = client_->failures();
  auto refused = command({"GET", onLive});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "social.store_unavailable");
  EXPECT_NE(refused.error().message.find("CLUSTERDOWN"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(client_->failures(), before + 1) << "answered once, not retried";
  ASSERT_TRUE(cluster_.start()) << "the failed master rejoins";
  std::optional<core::Result<RedisValue>> back;
  ASSERT_TRUE(spin(loop_, [&] {
    back = command({"SET", onLive, "again"});
    if (!back->ok())
      spin(
          loop_, [] { return false; }, 50);
    return back->ok();
  })) << back->error().message;
}

// Against a plain (non-cluster) redis-server: never up, every command refused at once.
TEST(RedisClusterClient, StaysDownAgainstAServerWithoutCluster) {
  core::Loop loop;
  auto log =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  testing::RedisServer plain;
  ASSERT_TRUE(plain.start());
  RedisConfig s;
  s.host = "127.0.0.1";
  s.port = plain.port();
  s.cluster = true;
  RedisClient client(loop, s, *log);
  client.start();
  EXPECT_FALSE(spin(
      loop, [&] { return client.connected(); }, 1500));
  std::optional<core::Result<RedisValue>> reply;
  client.command({"GET", "k"}, [&](auto r) { reply.emplace(std::move(r)); });
  ASSERT_TRUE(reply.has_value()) << "answered at once";
  ASSERT_FALSE(reply->ok());
  EXPECT_EQ(reply->error().code, "social.store_unavailable");
}

// Started before the cluster is created: keeps asking for the map until there is one.
TEST(RedisClusterClient, ConnectsOnceTheClusterIsCreated) {
  core::Loop loop;
  auto log =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  RedisCluster cluster;
  ASSERT_TRUE(cluster.startNodes());
  RedisConfig s;
  s.host = "127.0.0.1";
  s.port = cluster.port();
  s.cluster = true;
  RedisClient client(loop, s, *log);
  client.start();
  EXPECT_FALSE(spin(
      loop, [&] { return client.connected(); }, 300));
  ASSERT_TRUE(cluster.create());
  ASSERT_TRUE(spin(
      loop, [&] { return client.connected() && client.masters().size() == RedisCluster::kNodes; },
      20000));
}

}  // namespace
}  // namespace tidecast::social::store
