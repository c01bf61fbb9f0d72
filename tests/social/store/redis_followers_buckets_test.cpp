// The Redis store's bucketed followers sets (redis_graph_scripts.h): followers, counts and
// pages must match a model of the graph through follows and unfollows at positions in any
// order, including many in one second, while every set stays small enough for Redis's
// listpack encoding and no bucket, index or count key outlives its followers.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "core/loop.h"
#include "social/store/redis_graph_store.h"
#include "tests/social/store/redis_server.h"
#include "tests/social/store/spin_loop.h"

namespace tidecast::social::store {
namespace {

using testing::RedisServer;

constexpr uint32_t kBucket = kMinFollowersBucket;  // 16: splits and merges come early

class RedisFollowersBucketsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    started_ = redis_->start();
    // As deployed: a bucket holds at most what redis-server keeps in a listpack (past that it
    // turns the set into a skiplist for good).
    if (started_) {
      redis_->command({"CONFIG", "SET", "zset-max-listpack-entries", std::to_string(kBucket)});
    }
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(started_) << "redis-server did not start (scripts/setup installs it)";
    redis_->command({"FLUSHALL"});
    RedisConfig settings;
    settings.host = "127.0.0.1";
    settings.port = redis_->port();
    client_ = std::make_unique<RedisClient>(loop_, settings, *log_);
    client_->start();
    ASSERT_TRUE(run([&] { return client_->connected(); }));
    RedisGraphLayout layout;
    layout.followersBucket = kBucket;
    layout.nowUnixS = [this] { return nowUnixS_; };
    store_ = std::make_unique<RedisGraphStore>(*client_, GraphLimits{}, RedisOutboxSettings{},
                                               std::move(layout));
    store_->setEventSink([](const core::Event&) {});
  }

  void TearDown() override {
    store_.reset();
    client_.reset();
    run([] { return false; }, 20);
  }

  template <class Pred>
  bool run(Pred done, uint64_t deadlineMs = 10000) {
    return testing::spin(loop_, done, deadlineMs);
  }

  template <class T, class Op>
  T answer(Op op) {
    std::optional<core::Result<T>> result;
    op([&](core::Result<T> r) { result.emplace(std::move(r)); });
    EXPECT_TRUE(run([&] { return result.has_value(); })) << "no answer";
    EXPECT_TRUE(result && result->ok()) << (result && !result->ok() ? result->error().message : "");
    return result && result->ok() ? std::move(**result) : T{};
  }

  bool follow(const std::string& a, const std::string& b) {
    return answer<bool>([&](auto done) { store_->follow(a, b, true, std::move(done)); });
  }
  bool unfollow(const std::string& a, const std::string& b) {
    return answer<bool>([&](auto done) { store_->unfollow(a, b, std::move(done)); });
  }
  Page page(const std::string& user, const std::string& cursor, uint32_t limit) {
    return answer<Page>(
        [&](auto done) { store_->followers(user, cursor, limit, std::move(done)); });
  }
  uint64_t followerCount(const std::string& user) {
    return answer<Counts>([&](auto done) { store_->counts(user, std::move(done)); }).followers;
  }
  std::vector<std::string> mutual(const std::string& user) {
    return answer<std::vector<std::string>>(
        [&](auto done) { store_->mutual(user, 100, std::move(done)); });
  }

  // Every page of `user`'s followers, `limit` at a time (bounded).
  std::vector<Edge> walk(const std::string& user, uint32_t limit) {
    std::vector<Edge> all;
    std::string cursor;
    for (int pages = 0; pages < 1000; ++pages) {
      Page p = page(user, cursor, limit);
      EXPECT_LE(p.items.size(), limit);
      all.insert(all.end(), p.items.begin(), p.items.end());
      if (p.nextCursor.empty()) break;
      cursor = p.nextCursor;
    }
    return all;
  }

  // The model: follower -> position. Newest first; one position's followers by id, descending.
  static std::vector<std::pair<int64_t, std::string>> ordered(
      const std::map<std::string, int64_t>& model) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (const auto& [user, position] : model) out.emplace_back(position, user);
    std::sort(out.rbegin(), out.rend());
    return out;
  }

  std::vector<std::string> keys(const std::string& pattern) {
    std::vector<std::string> out;
    auto reply = redis_->command({"KEYS", pattern});
    for (size_t i = 0; reply && i < reply->elements; ++i) out.push_back(reply->element[i]->str);
    return out;
  }

  // The stored shape: each bucket a listpack of at most kBucket entries (more only when they
  // share one position), the index naming exactly the buckets, the count while bucketed.
  void expectStoredShape(const std::string& user, size_t followers) {
    std::string base = RedisGraphStore::followersKey(user);
    std::set<std::string> buckets;
    for (const auto& k : keys(base + ":*")) buckets.insert(k.substr(base.size() + 1));
    std::set<std::string> indexed;
    auto index = redis_->command({"ZRANGE", RedisGraphStore::followersIndexKey(user), "0", "-1"});
    for (size_t i = 0; i < index->elements; ++i) indexed.insert(index->element[i]->str);
    EXPECT_EQ(buckets, indexed) << "the index names every bucket and nothing else";
    std::vector<std::string> all{base};
    for (const auto& b : buckets) all.push_back(base + ":" + b);
    for (const auto& k : all) {
      auto size = redis_->command({"ZCARD", k})->integer;
      if (size == 0) continue;  // an empty first bucket
      auto lowest = redis_->command({"ZRANGE", k, "0", "0", "WITHSCORES"});
      auto highest = redis_->command({"ZRANGE", k, "-1", "-1", "WITHSCORES"});
      bool onePosition = std::string(lowest->element[1]->str) == highest->element[1]->str;
      EXPECT_TRUE(size <= kBucket || onePosition) << k << " holds " << size;
      if (size <= kBucket) {
        EXPECT_STREQ(redis_->command({"OBJECT", "ENCODING", k})->str, "listpack") << k;
      }
      if (k != base) {
        EXPECT_GE(std::stoll(lowest->element[1]->str), std::stoll(k.substr(base.size() + 1)))
            << k << " holds a position before its start";
      }
    }
    auto count = redis_->command({"GET", RedisGraphStore::followersCountKey(user)});
    if (buckets.empty()) {
      EXPECT_EQ(count->type, REDIS_REPLY_NIL) << "no count key without buckets";
    } else {
      ASSERT_EQ(count->type, REDIS_REPLY_STRING);
      EXPECT_EQ(std::stoull(count->str), followers);
    }
  }

  static RedisServer* redis_;
  static bool started_;
  core::Loop loop_;
  std::shared_ptr<spdlog::logger> log_ =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisGraphStore> store_;
  int64_t nowUnixS_ = 1700000000;
};

RedisServer* RedisFollowersBucketsTest::redis_ = nullptr;
bool RedisFollowersBucketsTest::started_ = false;

TEST_F(RedisFollowersBucketsTest, PagesAndCountsMatchAModelThroughChangesInAnyOrder) {
  std::mt19937 rng(20261124);
  std::map<std::string, int64_t> model;
  auto name = [](int i) { return "f" + std::to_string(i); };
  for (int step = 1; step <= 700; ++step) {
    // The clock: mostly forward, sometimes still (ties), sometimes back (a write from a node
    // whose clock is behind, or dispatched late: it lands in an older bucket).
    int move = std::uniform_int_distribution<int>(0, 9)(rng);
    nowUnixS_ += move < 6 ? 1 : move < 8 ? 0 : -std::uniform_int_distribution<int>(1, 60)(rng);
    std::string who = name(std::uniform_int_distribution<int>(0, 119)(rng));
    if (model.count(who) && std::uniform_int_distribution<int>(0, 9)(rng) < 4) {
      ASSERT_TRUE(unfollow(who, "star"));
      model.erase(who);
    } else if (!model.count(who)) {
      ASSERT_TRUE(follow(who, "star"));
      model[who] = nowUnixS_ - kPositionEpochUnixS;
    }
    if (step % 100 != 0) continue;
    SCOPED_TRACE("step " + std::to_string(step));
    EXPECT_EQ(followerCount("star"), model.size());
    auto expected = ordered(model);
    uint32_t limit = std::uniform_int_distribution<uint32_t>(1, 9)(rng);
    auto seen = walk("star", limit);
    ASSERT_EQ(seen.size(), expected.size()) << "page size " << limit;
    for (size_t i = 0; i < seen.size(); ++i) {
      EXPECT_EQ(seen[i].user, expected[i].second) << "item " << i;
      EXPECT_EQ(seen[i].createdMs, (expected[i].first + kPositionEpochUnixS) * 1000);
    }
    expectStoredShape("star", model.size());
  }
  EXPECT_GT(keys(RedisGraphStore::followersKey("star") + ":*").size(), 2u)
      << "the test reached bucketed sets";
  for (const auto& [user, position] : std::map<std::string, int64_t>(model)) {
    ASSERT_TRUE(unfollow(user, "star"));
  }
  EXPECT_EQ(followerCount("star"), 0u);
  EXPECT_TRUE(keys("*{star}*").empty()) << "nothing is left of star's followers";
}

TEST_F(RedisFollowersBucketsTest, OneSecondsFollowersPageByIdWithoutSkipsOrRepeats) {
  std::map<std::string, int64_t> model;
  std::vector<int> order(40);
  for (int i = 0; i < 40; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(7));
  for (int i : order) {  // 40 follows in one second: one bucket, over kBucket, never parted
    std::string who = "s" + std::to_string(100 + i);
    ASSERT_TRUE(follow(who, "star"));
    model[who] = nowUnixS_ - kPositionEpochUnixS;
  }
  ++nowUnixS_;
  ASSERT_TRUE(follow("later", "star"));  // the next second: a bucket of its own
  model["later"] = nowUnixS_ - kPositionEpochUnixS;
  expectStoredShape("star", model.size());

  auto expected = ordered(model);
  Page first = page("star", "", 7);
  ASSERT_EQ(first.items.size(), 7u);
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(first.items[i].user, expected[i].second);
  // The item the cursor names goes away before the next page: the page still starts right
  // after it.
  ASSERT_TRUE(unfollow(first.items.back().user, "star"));
  model.erase(first.items.back().user);
  expected = ordered(model);
  std::vector<std::string> rest;
  std::string cursor = first.nextCursor;
  while (!cursor.empty()) {
    Page p = page("star", cursor, 7);
    for (const auto& e : p.items) rest.push_back(e.user);
    cursor = p.nextCursor;
    ASSERT_LT(rest.size(), 100u);
  }
  std::vector<std::string> want;
  for (size_t i = 6; i < expected.size(); ++i) want.push_back(expected[i].second);
  EXPECT_EQ(rest, want);
  EXPECT_EQ(followerCount("star"), model.size());
}

TEST_F(RedisFollowersBucketsTest, MutualFollowsOfABucketedUserAskTheFollowees) {
  for (int i = 0; i < 50; ++i) {
    ++nowUnixS_;
    ASSERT_TRUE(follow("m" + std::to_string(i), "star"));
  }
  ASSERT_GT(keys(RedisGraphStore::followersKey("star") + ":*").size(), 0u);
  for (int i : {3, 40, 17, 25}) {  // star follows four of them back, in this order
    ++nowUnixS_;
    ASSERT_TRUE(follow("star", "m" + std::to_string(i)));
  }
  ++nowUnixS_;
  ASSERT_TRUE(follow("star", "stranger"));
  EXPECT_EQ(mutual("star"), (std::vector<std::string>{"m25", "m17", "m40", "m3"}));
  ASSERT_TRUE(unfollow("m17", "star"));
  EXPECT_EQ(mutual("star"), (std::vector<std::string>{"m25", "m40", "m3"}));
}

}  // namespace
}  // namespace tidecast::social::store
