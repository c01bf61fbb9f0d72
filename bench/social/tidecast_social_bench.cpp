// The follow graph under load: generates a power-law graph (bench/social/graph_generator.h),
// bulk-loads it into a backend, then times the store's operations one at a time through the
// real store classes on a real loop (call -> answer on the loop), reporting p50/p99 per
// operation, load time, this process's RSS (and redis-server's), and the followers cache hit
// rate on a Zipf read mix.
//
//   tidecast-social-bench --backend sqlite|redis|cache --users 1000000 --follows 20000000
//                         --db /tmp/social.db --redis-port 6399 [--queries 2000] [--no-load]
//                         [--bucket 128]   (the Redis store's followers per bucket)
//                         [--cluster]      (redis: --redis-port is a Redis Cluster seed node)
//
// Loading: SQLite in one transaction with a prepared statement, journal off, the secondary
// indexes dropped during the load and built after; Redis pipelined (kPipeline commands per
// round trip; on a cluster through RedisClient's pipelines, split by node). Every loop is bounded
// by the counts given.
#include <hiredis/hiredis.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bench/social/graph_generator.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/process_stats.h"
#include "core/sqlite_db.h"
#include "social/store/cached_graph_store.h"
#include "social/store/redis_graph_scripts.h"
#include "social/store/redis_graph_store.h"
#include "social/store/sqlite_graph_store.h"

namespace tidecast::bench::social {
namespace {

namespace store = tidecast::social::store;
using Clock = std::chrono::steady_clock;

constexpr size_t kPipeline = 10000;  // Redis commands per round trip while loading
constexpr uint64_t kSeed = 20261123;

struct Options {
  std::string backend = "sqlite";
  uint32_t users = 1000000;
  uint64_t follows = 20000000;
  std::string db = "/tmp/tidecast-social-bench.db";
  uint16_t redisPort = 6379;
  uint32_t queries = 2000;
  uint32_t cacheReads = 50000;
  uint32_t bucket = store::RedisGraphLayout{}.followersBucket;
  bool load = true;
  bool cluster = false;
};

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

double rssMiB() { return core::readProcessStats().rssBytes / 1048576.0; }

// ---- loading --------------------------------------------------------------------------------

bool loadSqlite(const Options& o, GraphGenerator& graph, uint64_t& edges) {
  std::filesystem::remove(o.db);
  std::filesystem::remove(o.db + "-wal");
  std::filesystem::remove(o.db + "-shm");
  auto db = core::SqliteDb::open(o.db, core::SqliteDb::Mode::kReadWrite,
                                 store::sqliteGraphMigrations(), "bench");
  if (!db) return std::fprintf(stderr, "%s\n", db.error().message.c_str()), false;
  core::SqliteDb& d = **db;
  std::string drop;
  for (const auto& index : store::sqliteGraphIndexes()) {
    drop += std::string("DROP INDEX ") + index.name + ";";
  }
  if (!d.exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;" + drop)
           .ok() ||
      !d.exec("BEGIN;").ok()) {
    return false;
  }
  core::SqliteStatement insert(
      d, "INSERT INTO follows (follower, followee, created_ms, notify) VALUES (?, ?, ?, 1);");
  auto loadStart = Clock::now();
  std::vector<uint32_t> followers(o.users, 0), following(o.users, 0);
  int64_t created = 1700000000000;
  for (uint32_t u = 0; u < o.users; ++u) {
    std::string name = GraphGenerator::name(u);
    for (uint32_t v : graph.followingOf(u)) {
      insert.bind(1, name).bind(2, GraphGenerator::name(v)).bind(3, created++);
      if (insert.step() != SQLITE_DONE) return false;
      insert.reset();
      ++followers[v];
      ++following[u];
      ++edges;
    }
  }
  core::SqliteStatement counts(d, "INSERT INTO user_counts VALUES (?, ?, ?);");
  for (uint32_t u = 0; u < o.users; ++u) {
    if (followers[u] == 0 && following[u] == 0) continue;
    counts.bind(1, GraphGenerator::name(u))
        .bind(2, int64_t{followers[u]})
        .bind(3, int64_t{following[u]});
    if (counts.step() != SQLITE_DONE) return false;
    counts.reset();
  }
  if (!d.exec("COMMIT;").ok()) return false;
  std::printf("  rows: %.1f s\n", seconds(loadStart));
  for (const auto& index : store::sqliteGraphIndexes()) {
    auto start = Clock::now();
    if (auto s = d.exec(index.create); !s) {
      return std::fprintf(stderr, "%s\n", s.error().message.c_str()), false;
    }
    std::printf("  index %s: %.1f s\n", index.name, seconds(start));
  }
  return d.exec("ANALYZE; PRAGMA journal_mode=WAL;").ok();
}

// The following side by ZADD, the followers side through the store's own bucketing script
// (EVALSHA), so the sets end up as the store would have built them. Positions: one second
// apart, from 2024-01-01.
bool loadRedis(const Options& o, GraphGenerator& graph, uint64_t& edges) {
  redisContext* c = redisConnect("127.0.0.1", o.redisPort);
  if (c == nullptr || c->err) return std::fprintf(stderr, "redis: cannot connect\n"), false;
  redisReply* flushed = static_cast<redisReply*>(redisCommand(c, "FLUSHALL"));
  if (flushed) freeReplyObject(flushed);
  std::string script(store::scripts::kFollowersAdd);
  auto* loaded =
      static_cast<redisReply*>(redisCommand(c, "SCRIPT LOAD %b", script.data(), script.size()));
  if (loaded == nullptr || loaded->type != REDIS_REPLY_STRING) {
    return std::fprintf(stderr, "redis: SCRIPT LOAD failed\n"), false;
  }
  std::string sha = loaded->str;
  freeReplyObject(loaded);
  size_t queued = 0;
  bool failed = false;
  auto drain = [&] {
    for (; queued > 0; --queued) {
      void* reply = nullptr;
      if (redisGetReply(c, &reply) != REDIS_OK) return false;
      if (static_cast<redisReply*>(reply)->type == REDIS_REPLY_ERROR && !failed) {
        failed = true;
        std::fprintf(stderr, "redis: %s\n", static_cast<redisReply*>(reply)->str);
      }
      freeReplyObject(reply);
    }
    return !failed;
  };
  std::string bucket = std::to_string(o.bucket);
  int64_t position = 1704067200 - store::kPositionEpochUnixS;
  for (uint32_t u = 0; u < o.users; ++u) {
    std::string a = GraphGenerator::name(u);
    std::string followingKey = store::RedisGraphStore::followingKey(a);
    for (uint32_t v : graph.followingOf(u)) {
      std::string b = GraphGenerator::name(v);
      std::string p = std::to_string(position++);
      redisAppendCommand(c, "ZADD %s %s %s", followingKey.c_str(), p.c_str(), b.c_str());
      redisAppendCommand(c, "EVALSHA %s 3 %s %s %s %s %s %s", sha.c_str(),
                         store::RedisGraphStore::followersKey(b).c_str(),
                         store::RedisGraphStore::followersIndexKey(b).c_str(),
                         store::RedisGraphStore::followersCountKey(b).c_str(), p.c_str(), a.c_str(),
                         bucket.c_str());
      queued += 2;
      ++edges;
      if (queued >= kPipeline && !drain()) return false;
    }
  }
  bool ok = drain();
  redisFree(c);
  return ok;
}

// Runs the loop until `done`; a referenced timer keeps it alive (Redis handles are not).
template <class Pred>
void spin(core::Loop& loop, Pred done) {
  core::Timer keepAlive(loop);
  keepAlive.start(60000, 0, [] {});
  while (!done()) uv_run(loop.raw(), UV_RUN_ONCE);
  keepAlive.stop();
}

// The same load as loadRedis, through RedisClient (a cluster: each pipeline split by node;
// SCRIPT LOAD reaches every master).
bool loadRedisCluster(const Options& o, GraphGenerator& graph, uint64_t& edges, core::Loop& loop,
                      store::RedisClient& redis) {
  auto call = [&](store::RedisClient::Command args) {
    std::optional<core::Result<store::RedisValue>> reply;
    redis.command(std::move(args), [&](auto r) { reply.emplace(std::move(r)); });
    spin(loop, [&] { return reply.has_value(); });
    if (!*reply) std::fprintf(stderr, "redis: %s\n", reply->error().message.c_str());
    return std::move(*reply);
  };
  std::optional<core::Result<std::vector<store::RedisValue>>> flushed;
  redis.commandOnAllMasters({"FLUSHALL"}, [&](auto r) { flushed.emplace(std::move(r)); });
  spin(loop, [&] { return flushed.has_value(); });
  auto sha = call({"SCRIPT", "LOAD", std::string(store::scripts::kFollowersAdd)});
  if (!*flushed || !sha) return false;
  std::vector<store::RedisClient::Command> batch;
  auto drain = [&] {
    std::optional<core::Result<std::vector<store::RedisValue>>> replies;
    redis.pipeline(std::move(batch), [&](auto r) { replies.emplace(std::move(r)); });
    batch.clear();
    spin(loop, [&] { return replies.has_value(); });
    if (!*replies) std::fprintf(stderr, "redis: %s\n", replies->error().message.c_str());
    return replies->ok();
  };
  std::string bucket = std::to_string(o.bucket);
  int64_t position = 1704067200 - store::kPositionEpochUnixS;
  for (uint32_t u = 0; u < o.users; ++u) {
    std::string a = GraphGenerator::name(u);
    std::string followingKey = store::RedisGraphStore::followingKey(a);
    for (uint32_t v : graph.followingOf(u)) {
      std::string b = GraphGenerator::name(v);
      std::string p = std::to_string(position++);
      batch.push_back({"ZADD", followingKey, p, b});
      batch.push_back({"EVALSHA", sha->text, "3", store::RedisGraphStore::followersKey(b),
                       store::RedisGraphStore::followersIndexKey(b),
                       store::RedisGraphStore::followersCountKey(b), p, a, bucket});
      ++edges;
      if (batch.size() >= kPipeline && !drain()) return false;
    }
  }
  return drain();
}

// redis-server's INFO memory field `name` (bytes), in MiB.
double redisMemoryMiB(uint16_t port, const char* name) {
  redisContext* c = redisConnect("127.0.0.1", port);
  if (c == nullptr || c->err) return 0;
  auto* reply = static_cast<redisReply*>(redisCommand(c, "INFO memory"));
  double value = 0;
  std::string field = std::string("\n") + name + ":";
  if (reply && reply->type == REDIS_REPLY_STRING) {
    const char* at = std::strstr(reply->str, field.c_str());
    if (at) value = std::strtod(at + field.size(), nullptr) / 1048576.0;
  }
  if (reply) freeReplyObject(reply);
  redisFree(c);
  return value;
}

// ---- timing ---------------------------------------------------------------------------------

struct Series {
  explicit Series(std::string n) : name(std::move(n)) {}
  std::string name;
  std::vector<double> micros;
  uint64_t errors = 0;
  void print() {
    std::sort(micros.begin(), micros.end());
    auto at = [&](double q) {
      return micros.empty() ? 0 : micros[size_t(q * (micros.size() - 1))];
    };
    std::printf("  %-22s n=%-6zu p50=%8.1f us  p99=%8.1f us  max=%8.1f us  errors=%lu\n",
                name.c_str(), micros.size(), at(0.5), at(0.99), at(1.0),
                static_cast<unsigned long>(errors));
  }
};

// Times `op` (which calls its argument once when the answer is in) `n` times, sequentially.
void measure(core::Loop& loop, Series& series, uint32_t n,
             const std::function<void(std::function<void(bool)>)>& op) {
  for (uint32_t i = 0; i < n; ++i) {
    bool done = false;
    auto start = Clock::now();
    op([&](bool ok) {
      done = true;
      if (!ok) ++series.errors;
    });
    spin(loop, [&] { return done; });
    series.micros.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
}

int run(const Options& o) {
  std::printf("backend=%s users=%u follows=%lu queries=%u\n", o.backend.c_str(), o.users,
              static_cast<unsigned long>(o.follows), o.queries);
  store::GraphLimits limits;
  GraphGenerator graph(o.users, o.follows, limits.maxFollowing, kSeed);
  core::Loop loop;
  core::MetricsRegistry metrics;
  auto log =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::unique_ptr<store::RedisClient> redis;
  if (o.backend != "sqlite") {
    store::RedisConfig settings;
    settings.host = "127.0.0.1";
    settings.port = o.redisPort;
    settings.cluster = o.cluster;
    redis = std::make_unique<store::RedisClient>(loop, settings, *log);
    redis->start();
    spin(loop, [&] { return redis->connected(); });
  }
  if (o.load) {
    uint64_t edges = 0;
    auto start = Clock::now();
    bool ok = o.backend != "redis" ? loadSqlite(o, graph, edges)
              : o.cluster          ? loadRedisCluster(o, graph, edges, loop, *redis)
                                   : loadRedis(o, graph, edges);
    if (!ok) return std::fprintf(stderr, "load failed\n"), 1;
    std::printf("load: %lu edges in %.1f s (%.0f edges/s), RSS %.0f MiB\n",
                static_cast<unsigned long>(edges), seconds(start), edges / seconds(start),
                rssMiB());
  }
  std::unique_ptr<store::GraphStore> graphStore;
  if (o.backend == "redis") {
    store::RedisGraphLayout layout;
    layout.followersBucket = o.bucket;
    graphStore = std::make_unique<store::RedisGraphStore>(*redis, limits,
                                                          store::RedisOutboxSettings{}, layout);
  } else {
    auto sqlite = store::SqliteGraphStore::open(loop, o.db, limits);
    if (!sqlite) return std::fprintf(stderr, "%s\n", sqlite.error().message.c_str()), 1;
    graphStore = std::move(*sqlite);
    if (o.backend == "cache") {
      graphStore =
          std::make_unique<store::CachedGraphStore>(std::move(graphStore), *redis, 86400, metrics);
    }
  }
  store::GraphStore& g = *graphStore;
  std::mt19937_64 rng(kSeed + 1);
  auto anyUser = [&] {
    return GraphGenerator::name(std::uniform_int_distribution<uint32_t>(0, o.users - 1)(rng));
  };
  auto popular = [&] { return GraphGenerator::name(graph.zipfUser(rng)); };

  Series followersPage{"followers page (20)"}, isFollowing{"is-following"}, mutual{"mutual"},
      recommendations{"recommendations (20)"}, followersTop{"followers of top-100"},
      mutualTop{"mutual of top-100"};
  measure(loop, followersPage, o.queries,
          [&](auto done) { g.followers(popular(), "", 20, [done](auto r) { done(r.ok()); }); });
  measure(loop, followersTop, o.queries, [&](auto done) {
    uint32_t rank = std::uniform_int_distribution<uint32_t>(0, 99)(rng);
    g.followers(GraphGenerator::name(graph.byRank(rank)), "", 20, [done](auto r) { done(r.ok()); });
  });
  measure(loop, isFollowing, o.queries,
          [&](auto done) { g.edge(anyUser(), popular(), [done](auto r) { done(r.ok()); }); });
  measure(loop, mutual, o.queries,
          [&](auto done) { g.mutual(anyUser(), 100, [done](auto r) { done(r.ok()); }); });
  measure(loop, mutualTop, o.queries, [&](auto done) {
    uint32_t rank = std::uniform_int_distribution<uint32_t>(0, 99)(rng);
    g.mutual(GraphGenerator::name(graph.byRank(rank)), 100, [done](auto r) { done(r.ok()); });
  });
  measure(loop, recommendations, o.queries,
          [&](auto done) { g.recommendations(anyUser(), 20, [done](auto r) { done(r.ok()); }); });
  std::printf("queries (one at a time, call -> answer on the loop):\n");
  for (Series* s :
       {&followersPage, &followersTop, &isFollowing, &mutual, &mutualTop, &recommendations})
    s->print();

  if (o.backend == "cache") {
    // Two halves of the same mix: the first starts cold, the second shows the steady state.
    auto& cached = static_cast<store::CachedGraphStore&>(g);
    for (const char* half : {"first half (cold start)", "second half"}) {
      uint64_t hits = cached.hits(), misses = cached.misses();
      Series zipf{"zipf mix followers"};
      uint32_t writes = 0;
      measure(loop, zipf, o.cacheReads / 2, [&](auto done) {
        if (std::uniform_int_distribution<int>(0, 99)(rng) == 0) {  // 1% writes: invalidations
          ++writes;
          return g.follow(anyUser(), popular(), true, [done](auto r) { done(r.ok()); });
        }
        g.followers(popular(), "", 20, [done](auto r) { done(r.ok()); });
      });
      uint64_t h = cached.hits() - hits, m = cached.misses() - misses;
      std::printf(
          "cache, %s: %u reads + %u follows (Zipf s=1 over %u users): hits %lu, "
          "misses %lu, hit rate %.1f%%\n",
          half, o.cacheReads / 2 - writes, writes, o.users, static_cast<unsigned long>(h),
          static_cast<unsigned long>(m), 100.0 * h / std::max<uint64_t>(1, h + m));
      zipf.print();
    }
  }
  std::printf("RSS of this process after the queries: %.0f MiB\n", rssMiB());
  if (redis && !o.cluster) {
    std::printf("redis-server: used_memory %.1f MiB, RSS %.1f MiB (followers bucket %u)\n",
                redisMemoryMiB(o.redisPort, "used_memory"),
                redisMemoryMiB(o.redisPort, "used_memory_rss"), o.bucket);
  }
  return 0;
}

}  // namespace
}  // namespace tidecast::bench::social

int main(int argc, char** argv) {
  tidecast::bench::social::Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--backend")
      o.backend = next();
    else if (arg == "--users")
      o.users = static_cast<uint32_t>(std::stoul(next()));
    else if (arg == "--follows")
      o.follows = std::stoull(next());
    else if (arg == "--db")
      o.db = next();
    else if (arg == "--redis-port")
      o.redisPort = static_cast<uint16_t>(std::stoul(next()));
    else if (arg == "--queries")
      o.queries = static_cast<uint32_t>(std::stoul(next()));
    else if (arg == "--cache-reads")
      o.cacheReads = static_cast<uint32_t>(std::stoul(next()));
    else if (arg == "--bucket")
      o.bucket = static_cast<uint32_t>(std::stoul(next()));
    else if (arg == "--no-load")
      o.load = false;
    else if (arg == "--cluster")
      o.cluster = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (o.backend != "sqlite" && o.backend != "redis" && o.backend != "cache") return 2;
  return tidecast::bench::social::run(o);
}
