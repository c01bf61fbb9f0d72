// One suite, every backend: SQLite, Redis (a redis-server this fixture starts on a free
// loopback port), Redis Cluster (three masters, started for the tests that use it) and SQLite
// behind the Redis followers cache (on the one server and on the cluster). Every store operation,
// paging edge cases, block semantics, the cache invalidation rule, outbox delivery after a
// simulated crash and Redis killed mid-test.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>

#include "core/loop.h"
#include "core/metrics.h"
#include "social/store/cached_graph_store.h"
#include "social/store/redis_graph_store.h"
#include "social/store/sqlite_graph_store.h"
#include "tests/social/store/redis_cluster.h"
#include "tests/social/store/redis_server.h"
#include "tests/social/store/spin_loop.h"

namespace tidecast::social::store {
namespace {

using testing::RedisCluster;
using testing::RedisServer;
using testing::spin;
using testing::TestRedis;

enum class Backend { kSqlite, kRedis, kSqliteCached, kRedisCluster, kSqliteCachedByCluster };

std::string backendName(const ::testing::TestParamInfo<Backend>& info) {
  switch (info.param) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kRedis:
      return "redis";
    case Backend::kSqliteCached:
      return "sqlite_with_cache";
    case Backend::kRedisCluster:
      return "redis_cluster";
    case Backend::kSqliteCachedByCluster:
      return "sqlite_with_cache_on_cluster";
  }
  return "unknown";
}

class GraphStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    started_ = redis_->start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
    delete cluster_;
    cluster_ = nullptr;
  }

  // The Redis Cluster backend's cluster, started by the first test that uses it.
  static TestRedis* cluster() {
    if (cluster_ == nullptr) cluster_ = new RedisCluster();
    return cluster_;
  }
  bool clustered() const {
    return GetParam() == Backend::kRedisCluster || GetParam() == Backend::kSqliteCachedByCluster;
  }
  // SQLite behind the Redis followers cache (one server or the cluster).
  bool cachedStore() const {
    return GetParam() == Backend::kSqliteCached || GetParam() == Backend::kSqliteCachedByCluster;
  }
  // The Redis store, on one server or on the cluster.
  bool redisStore() const {
    return GetParam() == Backend::kRedis || GetParam() == Backend::kRedisCluster;
  }
  TestRedis* redis() const { return clustered() ? cluster() : redis_; }

  void SetUp() override {
    ASSERT_TRUE(started_) << "redis-server did not start (scripts/setup installs it)";
    if (!redis()->running()) {
      ASSERT_TRUE(redis()->start());
    }
    redis()->command({"FLUSHALL"});
    // A parameterized test's name is "Test/backend": one directory, not a parent left behind.
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '-');
    dir_ = std::filesystem::temp_directory_path() /
           ("tidecast-graph-" + std::to_string(::getpid()) + "-" + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    dbPath_ = (dir_ / "social.db").string();
    open();
  }

  void TearDown() override {
    store_.reset();
    client_.reset();
    spin(
        loop_, [] { return false; }, 20);  // let closed handles finish
    std::filesystem::remove_all(dir_);
  }

  RedisConfig settings() const {
    RedisConfig s;
    s.host = "127.0.0.1";
    s.port = redis()->port();
    s.cluster = clustered();
    s.reconnectMinMs = reconnectMinMs_;
    s.reconnectMaxMs = 200;
    s.commandTimeoutMs = 1000;
    s.connectTimeoutMs = 1000;
    return s;
  }

  // Short leases and grace periods, so a crash is recovered from within a test's deadline.
  static RedisOutboxSettings outboxSettings() {
    RedisOutboxSettings s;
    s.leaseMs = 500;
    s.graceMs = 2000;  // writes slower than 1 s after their mark are refused
    s.sweepIntervalMs = 50;
    return s;
  }

  // (Re)opens the store under test on the same files and Redis.
  void open(bool withSink = true) {
    store_.reset();
    if (GetParam() != Backend::kSqlite && !client_) {
      client_ = std::make_unique<RedisClient>(loop_, settings(), *log_);
      client_->start();
      ASSERT_TRUE(spin(loop_, [&] { return client_->connected(); }));
    }
    if (redisStore()) {
      store_ = std::make_unique<RedisGraphStore>(*client_, limits_, outboxSettings(), layout());
    } else {
      auto sqlite = SqliteGraphStore::open(loop_, dbPath_, limits_);
      ASSERT_TRUE(sqlite.ok()) << sqlite.error().message;
      store_ = std::move(*sqlite);
      if (cachedStore()) {
        store_ = std::make_unique<CachedGraphStore>(std::move(store_), *client_, 86400, metrics_);
      }
    }
    if (withSink) store_->setEventSink([this](const core::Event& e) { events_.push_back(e); });
  }

  // The Redis store's positions are whole seconds: its clock here moves one second per
  // reading (writes a second apart) unless a test holds it still or sets it.
  RedisGraphLayout layout() {
    RedisGraphLayout l;
    l.followersBucket = followersBucket_;
    l.nowUnixS = [this] { return clockTicks_ ? clockUnixS_++ : clockUnixS_; };
    return l;
  }

  CachedGraphStore& cached() { return static_cast<CachedGraphStore&>(*store_); }
  // The cache fills in the background after a miss: waits (bounded) for the page to land.
  bool waitCached(const std::string& key) {
    return spin(
        loop_,
        [&] {
          return redis()->command({"EXISTS", key})->integer == 1;
        },
        2000);
  }

  // Calls `op` with a Done<T> and waits for its answer.
  template <class T>
  core::Result<T> wait(std::function<void(Done<T>)> op) {
    std::optional<core::Result<T>> result;
    op([&](core::Result<T> r) { result.emplace(std::move(r)); });
    EXPECT_TRUE(spin(loop_, [&] { return result.has_value(); })) << "no answer";
    if (!result) return core::makeError("test.timeout", "no answer");
    return std::move(*result);
  }

  core::Result<bool> follow(const std::string& a, const std::string& b, bool notify = true) {
    return wait<bool>([&](auto done) { store_->follow(a, b, notify, std::move(done)); });
  }
  core::Result<bool> unfollow(const std::string& a, const std::string& b) {
    return wait<bool>([&](auto done) { store_->unfollow(a, b, std::move(done)); });
  }
  core::Result<bool> block(const std::string& a, const std::string& b) {
    return wait<bool>([&](auto done) { store_->block(a, b, std::move(done)); });
  }
  core::Result<bool> unblock(const std::string& a, const std::string& b) {
    return wait<bool>([&](auto done) { store_->unblock(a, b, std::move(done)); });
  }
  std::optional<Edge> edge(const std::string& a, const std::string& b) {
    auto r = wait<std::optional<Edge>>([&](auto done) { store_->edge(a, b, std::move(done)); });
    EXPECT_TRUE(r.ok());
    return r ? *r : std::nullopt;
  }
  core::Result<Page> followers(const std::string& u, const std::string& cursor, uint32_t limit) {
    return wait<Page>([&](auto done) { store_->followers(u, cursor, limit, std::move(done)); });
  }
  core::Result<Page> following(const std::string& u, const std::string& cursor, uint32_t limit) {
    return wait<Page>([&](auto done) { store_->following(u, cursor, limit, std::move(done)); });
  }
  Counts counts(const std::string& u) {
    auto r = wait<Counts>([&](auto done) { store_->counts(u, std::move(done)); });
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? *r : Counts{};
  }
  std::vector<std::string> mutual(const std::string& u, uint32_t limit = 100) {
    auto r = wait<std::vector<std::string>>(
        [&](auto done) { store_->mutual(u, limit, std::move(done)); });
    EXPECT_TRUE(r.ok());
    return r ? *r : std::vector<std::string>{};
  }
  std::vector<Recommendation> recommend(const std::string& u, uint32_t limit = 10) {
    auto r = wait<std::vector<Recommendation>>(
        [&](auto done) { store_->recommendations(u, limit, std::move(done)); });
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
    return r ? *r : std::vector<Recommendation>{};
  }

  static std::vector<std::string> users(const Page& page) {
    std::vector<std::string> out;
    for (const auto& e : page.items) out.push_back(e.user);
    return out;
  }

  static RedisServer* redis_;
  static RedisCluster* cluster_;
  static bool started_;
  core::Loop loop_;
  core::MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::filesystem::path dir_;
  std::string dbPath_;
  GraphLimits limits_;
  uint32_t reconnectMinMs_ = 20;
  uint32_t followersBucket_ = RedisGraphLayout{}.followersBucket;
  int64_t clockUnixS_ = 1700000000;
  bool clockTicks_ = true;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<GraphStore> store_;
  std::vector<core::Event> events_;
};

RedisServer* GraphStoreTest::redis_ = nullptr;
RedisCluster* GraphStoreTest::cluster_ = nullptr;
bool GraphStoreTest::started_ = false;

TEST_P(GraphStoreTest, FollowAndUnfollowAreIdempotent) {
  ASSERT_EQ(follow("alice", "bob").value(), true);
  EXPECT_EQ(follow("alice", "bob").value(), false) << "a second follow changes nothing";
  auto e = edge("alice", "bob");
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->notify) << "the bell is on by default";
  EXPECT_GT(e->createdMs, 1600000000000);
  EXPECT_FALSE(edge("bob", "alice").has_value()) << "follows are directed";
  ASSERT_EQ(unfollow("alice", "bob").value(), true);
  EXPECT_EQ(unfollow("alice", "bob").value(), false);
  EXPECT_FALSE(edge("alice", "bob").has_value());
  EXPECT_EQ(counts("alice").following, 0u);
  EXPECT_EQ(counts("bob").followers, 0u);
}

TEST_P(GraphStoreTest, NotifyFlagIsSetByFollowAndKeptPerEdge) {
  ASSERT_TRUE(follow("alice", "bob", false).ok());
  ASSERT_TRUE(follow("carol", "bob", true).ok());
  EXPECT_FALSE(edge("alice", "bob")->notify);
  EXPECT_EQ(follow("alice", "bob", true).value(), false) << "changing the bell is not a new edge";
  EXPECT_TRUE(edge("alice", "bob")->notify);
  ASSERT_TRUE(follow("alice", "bob", false).ok());
  auto page = followers("bob", "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].user, "carol");
  EXPECT_TRUE(page->items[0].notify);
  EXPECT_EQ(page->items[1].user, "alice");
  EXPECT_FALSE(page->items[1].notify);
  auto out = following("alice", "", 10);
  ASSERT_TRUE(out.ok());
  ASSERT_EQ(out->items.size(), 1u);
  EXPECT_FALSE(out->items[0].notify);
}

TEST_P(GraphStoreTest, CountsFollowBothSides) {
  for (const char* f : {"a", "b", "c"}) {
    auto r = follow(f, "star");
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  ASSERT_TRUE(follow("star", "a").ok());
  EXPECT_EQ(counts("star").followers, 3u);
  EXPECT_EQ(counts("star").following, 1u);
  EXPECT_EQ(counts("a").followers, 1u);
  EXPECT_EQ(counts("a").following, 1u);
  EXPECT_EQ(counts("nobody").followers, 0u);
}

TEST_P(GraphStoreTest, PagesAreNewestFirstAndCursorsWalkToTheEnd) {
  for (int i = 0; i < 25; ++i) ASSERT_TRUE(follow("u" + std::to_string(i), "star").ok());
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = followers("star", cursor, 10);
    ASSERT_TRUE(page.ok());
    for (auto& u : users(*page)) seen.push_back(u);
    cursor = page->nextCursor;
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 25u);
  for (int i = 0; i < 25; ++i) EXPECT_EQ(seen[i], "u" + std::to_string(24 - i));
}

TEST_P(GraphStoreTest, PagingEdgeCases) {
  auto empty = followers("nobody", "", 10);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->items.empty());
  EXPECT_EQ(empty->nextCursor, "");
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(follow("u" + std::to_string(i), "star").ok());
  auto exact = followers("star", "", 4);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->items.size(), 4u);
  EXPECT_EQ(exact->nextCursor, "") << "a full last page has no next cursor";
  auto first = followers("star", "", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(users(*first), (std::vector<std::string>{"u3", "u2"}));
  // Changes after the first page neither repeat nor skip what follows the cursor.
  ASSERT_TRUE(follow("late", "star").ok());
  ASSERT_TRUE(unfollow("u3", "star").ok());
  auto second = followers("star", first->nextCursor, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(users(*second), (std::vector<std::string>{"u1", "u0"}));
  auto one = following("u0", "", 1);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(users(*one), (std::vector<std::string>{"star"}));
  for (const char* bad : {"abc", "-1", "0", "12x", "99999999999999999999999"}) {
    auto page = followers("star", bad, 2);
    ASSERT_FALSE(page.ok()) << bad;
    EXPECT_EQ(page.error().code, "social.bad_cursor");
  }
}

TEST_P(GraphStoreTest, MutualIsTheIntersectionNewestFirst) {
  for (const char* u : {"b", "c", "d"}) ASSERT_TRUE(follow("a", u).ok());
  ASSERT_TRUE(follow("b", "a").ok());
  ASSERT_TRUE(follow("d", "a").ok());
  ASSERT_TRUE(follow("e", "a").ok());  // follows a, not followed back
  EXPECT_EQ(mutual("a"), (std::vector<std::string>{"d", "b"}));
  EXPECT_EQ(mutual("a", 1), (std::vector<std::string>{"d"}));
  EXPECT_EQ(mutual("b"), (std::vector<std::string>{"a"}));
  EXPECT_TRUE(mutual("e").empty());
}

TEST_P(GraphStoreTest, BlockRemovesFollowsBothWaysAndRefusesNewOnes) {
  ASSERT_TRUE(follow("a", "b").ok());
  ASSERT_TRUE(follow("b", "a").ok());
  ASSERT_EQ(block("a", "b").value(), true);
  EXPECT_FALSE(edge("a", "b").has_value());
  EXPECT_FALSE(edge("b", "a").has_value());
  EXPECT_EQ(counts("a").followers + counts("a").following, 0u);
  auto refused = follow("b", "a");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "social.blocked");
  auto mine = follow("a", "b");
  ASSERT_FALSE(mine.ok()) << "the blocker cannot follow either";
  EXPECT_EQ(mine.error().code, "social.blocked");
  EXPECT_EQ(block("a", "b").value(), false) << "blocking twice changes nothing";
  auto isBlocked = wait<bool>([&](auto done) { store_->blocked("a", "b", std::move(done)); });
  EXPECT_TRUE(isBlocked.value());
  auto reverse = wait<bool>([&](auto done) { store_->blocked("b", "a", std::move(done)); });
  EXPECT_FALSE(reverse.value());
  ASSERT_EQ(unblock("a", "b").value(), true);
  EXPECT_EQ(unblock("a", "b").value(), false);
  EXPECT_FALSE(edge("a", "b").has_value()) << "unblock does not restore follows";
  EXPECT_EQ(follow("b", "a").value(), true);
}

TEST_P(GraphStoreTest, RecommendationsScoreFriendsOfFriendsAndExcludeTheRightPeople) {
  // me follows f1, f2, f3. f1 -> x, y, z; f2 -> x, y; f3 -> x, me, f1.
  for (const char* f : {"f1", "f2", "f3"}) ASSERT_TRUE(follow("me", f).ok());
  for (const char* u : {"x", "y", "z"}) ASSERT_TRUE(follow("f1", u).ok());
  for (const char* u : {"x", "y"}) ASSERT_TRUE(follow("f2", u).ok());
  for (const char* u : {"x", "me", "f1"}) ASSERT_TRUE(follow("f3", u).ok());
  auto ranked = recommend("me");
  ASSERT_EQ(ranked.size(), 3u) << "never me, never someone I follow (f1)";
  EXPECT_EQ(ranked[0].user, "x");
  EXPECT_EQ(ranked[0].score, 3u);
  EXPECT_EQ(ranked[1].user, "y");
  EXPECT_EQ(ranked[1].score, 2u);
  EXPECT_EQ(ranked[2].user, "z");
  EXPECT_EQ(recommend("me", 1).size(), 1u) << "top N";
  ASSERT_TRUE(block("me", "y").ok());
  ASSERT_TRUE(block("z", "me").ok());  // blocked by z: hidden both ways
  ranked = recommend("me");
  ASSERT_EQ(ranked.size(), 1u);
  EXPECT_EQ(ranked[0].user, "x");
  EXPECT_TRUE(recommend("loner").empty());
}

TEST_P(GraphStoreTest, RecommendationWorkIsBounded) {
  limits_.recommendationSources = 2;
  limits_.recommendationPerSource = 1;
  open();
  for (const char* f : {"f1", "f2", "f3"}) ASSERT_TRUE(follow("me", f).ok());
  ASSERT_TRUE(follow("f1", "old1").ok());
  ASSERT_TRUE(follow("f1", "new1").ok());
  ASSERT_TRUE(follow("f2", "new2").ok());
  ASSERT_TRUE(follow("f3", "new3").ok());
  auto ranked = recommend("me");
  std::vector<std::string> names;
  names.reserve(ranked.size());
  for (auto& r : ranked) names.push_back(r.user);
  std::sort(names.begin(), names.end());
  // Sources: the two newest followees (f3, f2); one newest follow each.
  EXPECT_EQ(names, (std::vector<std::string>{"new2", "new3"}));
}

TEST_P(GraphStoreTest, FollowingIsCapped) {
  limits_.maxFollowing = 2;
  open();
  ASSERT_TRUE(follow("a", "x").ok());
  ASSERT_TRUE(follow("a", "y").ok());
  auto third = follow("a", "z");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.error().code, "social.too_many_following");
  EXPECT_TRUE(follow("a", "x", false).ok()) << "changing an existing edge is not a new follow";
}

TEST_P(GraphStoreTest, FollowChangesAreAnnouncedAsEvents) {
  ASSERT_TRUE(follow("a", "b", false).ok());
  ASSERT_TRUE(follow("a", "b", false).ok());  // no change, no event
  ASSERT_TRUE(unfollow("a", "b").ok());
  ASSERT_TRUE(spin(loop_, [&] { return events_.size() >= 2; }));
  spin(
      loop_, [] { return false; }, 50);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].type, "social.followed");
  EXPECT_EQ(nlohmann::json::parse(events_[0].payload),
            (nlohmann::json{{"follower", "a"}, {"followee", "b"}, {"notify", false}}));
  EXPECT_EQ(events_[1].type, "social.unfollowed");
  EXPECT_LT(events_[0].id, events_[1].id);
}

TEST_P(GraphStoreTest, OutboxRedeliversAfterACrashNeverLosesNorDuplicates) {
  // Crash 1: the change is committed, the process dies before the dispatcher ran (Redis: the
  // follower's script ran, the followers side is not applied; a sweep finds the user).
  open(/*withSink=*/false);
  ASSERT_TRUE(follow("a", "b").ok());
  store_.reset();
  events_.clear();
  open();
  ASSERT_TRUE(spin(loop_, [&] { return events_.size() == 1; }));
  uint64_t first = events_[0].id;
  EXPECT_EQ(events_[0].type, "social.followed");
  EXPECT_EQ(users(*followers("b", "", 10)), (std::vector<std::string>{"a"}))
      << "the other side applied by the recovering dispatcher";
  EXPECT_EQ(counts("b").followers, 1u);
  // SQLite: writes are serial, so once this no-op write is answered the delivery above is
  // marked. Redis: the trim was sent with the delivery.
  ASSERT_EQ(unfollow("nobody", "b").value(), false);
  // Crash 2: a new event is handed over, the process dies before marking it delivered (Redis:
  // its lease is left behind and must lapse first).
  store_.reset();
  events_.clear();
  open(false);
  ASSERT_TRUE(follow("c", "b").ok());
  store_->setEventSink([this](const core::Event& e) {
    events_.push_back(e);
    store_.reset();  // dies inside the hand-over
  });
  ASSERT_TRUE(spin(loop_, [&] { return !events_.empty(); }));
  ASSERT_EQ(events_.size(), 1u);
  uint64_t second = events_[0].id;
  EXPECT_GT(second, first) << "the first event was marked: not handed over again";
  events_.clear();
  open();
  ASSERT_TRUE(spin(loop_, [&] { return events_.size() == 1; }));
  EXPECT_EQ(events_[0].id, second) << "the same event again, with the same id";
  ASSERT_EQ(unfollow("nobody", "b").value(), false);
  // Both marked: the next start delivers nothing old; new events continue, once each.
  store_.reset();
  events_.clear();
  open();
  ASSERT_TRUE(follow("d", "b").ok());
  ASSERT_TRUE(spin(loop_, [&] { return !events_.empty(); }));
  ASSERT_EQ(unfollow("nobody", "b").value(), false);
  if (redisStore()) {
    spin(
        loop_, [] { return false; }, 2 * outboxSettings().graceMs);  // sweeps come and go
  }
  ASSERT_EQ(events_.size(), 1u) << "nothing delivered twice";
  EXPECT_GT(events_[0].id, second);
  EXPECT_EQ(counts("b").followers, 3u);
  if (redisStore()) {
    EXPECT_EQ(redis()->command({"ZCARD", RedisGraphStore::pendingKey()})->integer, 0)
        << "sweeps drop the marks of dispatched users";
    EXPECT_EQ(redis()->command({"EXISTS", RedisGraphStore::outboxKey("c")})->integer, 0);
  }
}

TEST_P(GraphStoreTest, BlockGoesThroughTheOutboxAfterACrash) {
  ASSERT_TRUE(follow("a", "b").ok());
  ASSERT_TRUE(follow("b", "a").ok());
  ASSERT_TRUE(spin(loop_, [&] { return events_.size() == 2; }));
  ASSERT_EQ(unfollow("nobody", "b").value(), false);  // SQLite: both marked delivered
  // The block is committed, the process dies before anything was dispatched.
  open(/*withSink=*/false);
  ASSERT_EQ(block("a", "b").value(), true);
  store_.reset();
  events_.clear();
  open();
  ASSERT_TRUE(spin(loop_, [&] { return events_.size() == 2; }));
  spin(
      loop_, [] { return false; }, 100);
  ASSERT_EQ(events_.size(), 2u) << "one unfollowed event per removed follow";
  std::set<std::string> removed;
  for (const auto& e : events_) {
    EXPECT_EQ(e.type, "social.unfollowed");
    auto payload = nlohmann::json::parse(e.payload);
    removed.insert(payload["follower"].get<std::string>() + ">" +
                   payload["followee"].get<std::string>());
  }
  EXPECT_EQ(removed, (std::set<std::string>{"a>b", "b>a"}));
  EXPECT_NE(events_[0].id, events_[1].id);
  EXPECT_FALSE(edge("a", "b").has_value());
  EXPECT_FALSE(edge("b", "a").has_value());
  EXPECT_EQ(counts("a").followers + counts("a").following, 0u);
  EXPECT_EQ(counts("b").followers + counts("b").following, 0u);
  auto refused = follow("b", "a");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "social.blocked");
}

// Two tidecast nodes on one Redis: each entry is delivered by one of them, once, while both
// sweep the same pending users and write for the same users.
TEST_P(GraphStoreTest, TwoNodesOnOneRedisDeliverEachEventOnce) {
  if (!redisStore()) GTEST_SKIP() << "several nodes share a Redis store only";
  // A node wrote and died before dispatching.
  open(/*withSink=*/false);
  constexpr int kOrphans = 20;
  for (int i = 0; i < kOrphans; ++i) {
    ASSERT_TRUE(follow("w" + std::to_string(i), "star").ok());
  }
  store_.reset();
  struct Node {
    std::unique_ptr<RedisClient> client;
    std::unique_ptr<RedisGraphStore> store;
    std::vector<core::Event> events;
  };
  std::array<Node, 2> nodes;
  for (auto& node : nodes) {
    node.client = std::make_unique<RedisClient>(loop_, settings(), *log_);
    node.client->start();
    ASSERT_TRUE(spin(loop_, [&] { return node.client->connected(); }));
    node.store = std::make_unique<RedisGraphStore>(*node.client, limits_, outboxSettings());
    node.store->setEventSink([&node](const core::Event& e) { node.events.push_back(e); });
  }
  // Both nodes write for the same users at once.
  constexpr int kRacing = 20;
  int answered = 0;
  for (int i = 0; i < kRacing; ++i) {
    std::string user = "r" + std::to_string(i % 5);
    nodes[i % 2].store->follow(user, "t" + std::to_string(i), true, [&](core::Result<bool> r) {
      EXPECT_TRUE(r.ok());
      ++answered;
    });
  }
  ASSERT_TRUE(spin(loop_, [&] { return answered == kRacing; }));
  auto total = [&] { return nodes[0].events.size() + nodes[1].events.size(); };
  ASSERT_TRUE(spin(loop_, [&] { return total() >= size_t{kOrphans + kRacing}; }));
  spin(
      loop_, [] { return false; }, 2 * outboxSettings().graceMs);  // more sweeps by both
  std::set<uint64_t> ids;
  for (auto& node : nodes) {
    for (const auto& e : node.events) EXPECT_TRUE(ids.insert(e.id).second) << "twice: " << e.id;
  }
  EXPECT_EQ(ids.size(), size_t{kOrphans + kRacing});
  EXPECT_EQ(total(), size_t{kOrphans + kRacing});
  EXPECT_EQ(redis()->command({"ZCARD", RedisGraphStore::followersKey("star")})->integer, kOrphans);
  EXPECT_EQ(redis()->command({"ZCARD", RedisGraphStore::pendingKey()})->integer, 0);
  for (auto& node : nodes) node.store.reset();
  for (auto& node : nodes) node.client.reset();
}

TEST_P(GraphStoreTest, RedisOutboxIsBoundedPerUser) {
  if (!redisStore()) GTEST_SKIP() << "the Redis outbox's bound";
  // Nothing dispatches (no sink): the user's entries pile up to the bound, then writes fail.
  RedisOutboxSettings settings = outboxSettings();
  settings.maxPerUser = 2;
  store_ = std::make_unique<RedisGraphStore>(*client_, limits_, settings, layout());
  ASSERT_TRUE(follow("a", "x").ok());
  ASSERT_TRUE(follow("a", "y").ok());
  auto full = follow("a", "z");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, "social.store_unavailable");
  EXPECT_FALSE(edge("a", "z").has_value()) << "refused writes change nothing";
  EXPECT_TRUE(follow("b", "z").ok()) << "per user";
  // Once dispatched, the user may write again; each accepted change announced once.
  store_->setEventSink([this](const core::Event& e) { events_.push_back(e); });
  ASSERT_TRUE(spin(loop_, [&] { return events_.size() == 3; }));
  ASSERT_TRUE(spin(loop_, [&] {
    return redis()->command({"LLEN", RedisGraphStore::outboxKey("a")})->integer == 0;
  })) << "trimmed after the hand-over";
  EXPECT_TRUE(follow("a", "z").ok());
  EXPECT_EQ(events_.size(), 4u);
  EXPECT_EQ(counts("z").followers, 2u);
}

TEST_P(GraphStoreTest, CacheIsFilledOnAMissAndDroppedOnEveryFollowChange) {
  if (!cachedStore()) GTEST_SKIP() << "the cache fronts SQLite only";
  ASSERT_TRUE(follow("a", "star").ok());
  ASSERT_TRUE(followers("star", "", 10).ok());
  EXPECT_EQ(cached().misses(), 1u);
  auto key = CachedGraphStore::cacheKey("star");
  ASSERT_TRUE(waitCached(key));
  auto ttl = redis()->command({"TTL", key});
  EXPECT_GT(ttl->integer, 86000);
  EXPECT_LE(ttl->integer, 86400);
  auto hit = followers("star", "", 10);
  EXPECT_EQ(cached().hits(), 1u);
  EXPECT_EQ(users(*hit), (std::vector<std::string>{"a"}));
  ASSERT_TRUE(follow("b", "star").ok());
  EXPECT_EQ(redis()->command({"EXISTS", key})->integer, 0) << "follow invalidates";
  EXPECT_EQ(users(*followers("star", "", 10)), (std::vector<std::string>{"b", "a"}));
  ASSERT_TRUE(waitCached(key));
  ASSERT_TRUE(unfollow("a", "star").ok());
  EXPECT_EQ(redis()->command({"EXISTS", key})->integer, 0) << "unfollow invalidates";
  EXPECT_EQ(users(*followers("star", "", 10)), (std::vector<std::string>{"b"}));
  ASSERT_TRUE(follow("b", "star", false).ok());
  EXPECT_EQ(redis()->command({"EXISTS", key})->integer, 0) << "a bell change invalidates";
  EXPECT_FALSE(followers("star", "", 10)->items[0].notify);
  ASSERT_TRUE(block("star", "b").ok());
  EXPECT_TRUE(followers("star", "", 10)->items.empty()) << "block invalidates";
}

TEST_P(GraphStoreTest, AFillNeverResurrectsAnInvalidatedPage) {
  if (!cachedStore()) GTEST_SKIP() << "the cache fronts SQLite only";
  ASSERT_TRUE(follow("a", "star").ok());
  // A read misses; before its SQLite answer arrives, a follow commits and invalidates.
  std::optional<core::Result<Page>> read;
  std::optional<core::Result<bool>> write;
  store_->followers("star", "", 10, [&](auto r) { read.emplace(std::move(r)); });
  store_->follow("b", "star", true, [&](auto r) { write.emplace(std::move(r)); });
  ASSERT_TRUE(spin(loop_, [&] { return read && write; }));
  spin(
      loop_, [] { return false; }, 50);
  EXPECT_EQ(users(*followers("star", "", 10)), (std::vector<std::string>{"b", "a"}));
}

TEST_P(GraphStoreTest, RedisKilledMidTest) {
  if (GetParam() == Backend::kSqlite) GTEST_SKIP() << "no Redis in this backend";
  ASSERT_TRUE(follow("a", "star").ok());
  ASSERT_TRUE(followers("star", "", 10).ok());  // cached, for the cache backend
  redis()->stop(SIGKILL);
  if (redisStore()) {
    auto failed = follow("b", "star");
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, "social.store_unavailable");
    auto read = followers("star", "", 10);
    ASSERT_FALSE(read.ok());
    EXPECT_EQ(read.error().code, "social.store_unavailable");
  } else {
    // SQLite keeps serving; writes go on; the invalidation Redis missed is remembered.
    ASSERT_TRUE(follow("b", "star").ok());
    uint64_t before = cached().fallbacks();
    auto read = followers("star", "", 10);
    ASSERT_TRUE(read.ok());
    EXPECT_EQ(users(*read), (std::vector<std::string>{"b", "a"}));
    EXPECT_GT(cached().fallbacks(), before);
    EXPECT_FALSE(cached().usable());
  }
  ASSERT_TRUE(redis()->start());
  ASSERT_TRUE(spin(loop_, [&] { return client_->connected(); })) << "reconnects by itself";
  EXPECT_GE(client_->reconnects(), 1u);
  ASSERT_TRUE(follow("c", "star").ok());
  auto page = followers("star", "", 10);
  ASSERT_TRUE(page.ok());
  if (redisStore()) {
    EXPECT_EQ(users(*page), (std::vector<std::string>{"c"})) << "a fresh, empty redis-server";
  } else {
    EXPECT_EQ(users(*page), (std::vector<std::string>{"c", "b", "a"}));
    EXPECT_TRUE(cached().usable());
  }
}

TEST_P(GraphStoreTest, InvalidationsMissedDuringAnOutageAreReplayed) {
  if (!cachedStore()) GTEST_SKIP() << "the cache fronts SQLite only";
  store_.reset();
  client_.reset();
  reconnectMinMs_ = 1000;  // time enough to write while the client is disconnected
  open();
  ASSERT_TRUE(follow("a", "star").ok());
  ASSERT_TRUE(followers("star", "", 10).ok());
  auto key = CachedGraphStore::cacheKey("star");
  ASSERT_TRUE(waitCached(key));
  // Drop our connection (Redis itself stays up with the cached page), then write at once,
  // before the client reconnects.
  redis()->command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(spin(loop_, [&] { return !client_->connected(); }));
  ASSERT_TRUE(follow("b", "star").ok());
  EXPECT_EQ(redis()->command({"EXISTS", key})->integer, 1) << "the stale page is still there";
  ASSERT_TRUE(spin(loop_, [&] { return cached().usable(); }));
  EXPECT_EQ(redis()->command({"EXISTS", key})->integer, 0) << "replayed on reconnect";
  EXPECT_EQ(users(*followers("star", "", 10)), (std::vector<std::string>{"b", "a"}));
}

// More invalidations missed than remembered: every cached page (on every master of a
// cluster) is deleted by SCAN before the cache is used again; other keys stay.
TEST_P(GraphStoreTest, AnOutagePastTheBoundFlushesEveryCachedPage) {
  if (!cachedStore()) GTEST_SKIP() << "the cache fronts SQLite only";
  store_.reset();
  client_.reset();
  reconnectMinMs_ = 1000;  // time enough to write while the client is disconnected
  open();
  auto sqlite = SqliteGraphStore::open(loop_, dbPath_, limits_);
  ASSERT_TRUE(sqlite.ok());
  store_ = std::make_unique<CachedGraphStore>(std::move(*sqlite), *client_, 86400, metrics_,
                                              /*maxPending=*/1);
  constexpr int kStars = 30;  // spread over every node of a cluster
  for (int i = 0; i < kStars; ++i) {
    std::string star = "star" + std::to_string(i);
    ASSERT_TRUE(follow("a", star).ok());
    ASSERT_TRUE(followers(star, "", 10).ok());
    ASSERT_TRUE(waitCached(CachedGraphStore::cacheKey(star)));
  }
  redis()->command({"SET", "unrelated", "kept"});
  redis()->command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(spin(loop_, [&] { return !client_->connected(); }));
  ASSERT_TRUE(follow("b", "star0").ok());
  ASSERT_TRUE(follow("b", "star1").ok());  // past the bound of 1
  ASSERT_TRUE(spin(loop_, [&] { return cached().usable(); }));
  for (int i = 0; i < kStars; ++i) {
    auto key = CachedGraphStore::cacheKey("star" + std::to_string(i));
    EXPECT_EQ(redis()->command({"EXISTS", key})->integer, 0) << key;
  }
  auto kept = redis()->command({"GET", "unrelated"});
  ASSERT_TRUE(kept && kept->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(kept->str, kept->len), "kept");
  EXPECT_EQ(users(*followers("star1", "", 10)), (std::vector<std::string>{"b", "a"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, GraphStoreTest,
                         ::testing::Values(Backend::kSqlite, Backend::kRedis,
                                           Backend::kSqliteCached, Backend::kRedisCluster,
                                           Backend::kSqliteCachedByCluster),
                         backendName);

}  // namespace
}  // namespace tidecast::social::store
