// The followers cache: with SQLite as the store and `redis:` configured, the first page of
// a user's followers (per page size) is kept in Redis as a hash field of
// social:followers:{id} (24 h TTL by default), filled on a miss and deleted on every follow,
// unfollow or block that changes who follows that user. Everything else passes through.
//
// Correctness rules: a page read from SQLite is only cached when no write touched that user
// since the read began (a per-user write epoch), so a fill can never resurrect an
// invalidated page. When Redis is down, reads go to SQLite (counted as fallbacks) and the
// invalidations that could not be sent are remembered (up to kMaxPendingInvalidations; past
// it every social:followers:* key is deleted on reconnect); the cache is used again only
// once they have been replayed. Loop thread only.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "core/metrics.h"
#include "social/store/graph_store.h"
#include "social/store/redis_client.h"

namespace tidecast::social::store {

inline constexpr size_t kMaxPendingInvalidations = 100000;
inline constexpr size_t kMaxWriteEpochs = 100000;  // per-user epochs kept before a reset
inline constexpr uint32_t kCacheFlushScanCount = 1000;

class CachedGraphStore final : public GraphStore {
 public:
  // maxPending: invalidations remembered while Redis is down, past which every cached page
  // is flushed on reconnect (tests set a small one).
  CachedGraphStore(std::unique_ptr<GraphStore> inner, RedisClient& redis, uint32_t ttlSeconds,
                   core::MetricsRegistry& metrics, size_t maxPending = kMaxPendingInvalidations);
  ~CachedGraphStore() override;

  static std::string cacheKey(std::string_view user);

  std::string_view backend() const override { return inner_->backend(); }
  void follow(std::string follower, std::string followee, bool notify, Done<bool> done) override;
  void unfollow(std::string follower, std::string followee, Done<bool> done) override;
  void block(std::string blocker, std::string blocked, Done<bool> done) override;
  void unblock(std::string a, std::string b, Done<bool> done) override {
    inner_->unblock(std::move(a), std::move(b), std::move(done));
  }
  void edge(std::string a, std::string b, Done<std::optional<Edge>> done) override {
    inner_->edge(std::move(a), std::move(b), std::move(done));
  }
  void followers(std::string user, std::string cursor, uint32_t limit, Done<Page> done) override;
  void following(std::string user, std::string cursor, uint32_t limit, Done<Page> done) override {
    inner_->following(std::move(user), std::move(cursor), limit, std::move(done));
  }
  void counts(std::string user, Done<Counts> done) override {
    inner_->counts(std::move(user), std::move(done));
  }
  void mutual(std::string user, uint32_t limit, Done<std::vector<std::string>> done) override {
    inner_->mutual(std::move(user), limit, std::move(done));
  }
  void blocked(std::string a, std::string b, Done<bool> done) override {
    inner_->blocked(std::move(a), std::move(b), std::move(done));
  }
  void recommendations(std::string user, uint32_t limit,
                       Done<std::vector<Recommendation>> done) override {
    inner_->recommendations(std::move(user), limit, std::move(done));
  }
  void setEventSink(std::function<void(const core::Event&)> sink) override {
    inner_->setEventSink(std::move(sink));
  }

  GraphStore& inner() { return *inner_; }
  bool usable() const { return redis_.connected() && ready_; }
  uint64_t hits() const { return hits_.value(); }
  uint64_t misses() const { return misses_.value(); }
  uint64_t fallbacks() const { return fallbacks_.value(); }

 private:
  void invalidate(std::vector<std::string> users, std::function<void()> then);
  Done<bool> invalidating(std::vector<std::string> users, Done<bool> done);
  void noteWrite(std::string_view user);
  bool mayFill(const std::string& user, uint64_t readEpoch) const;
  void fromStore(std::string user, std::string cursor, uint32_t limit, Done<Page> done);
  void reconnected();
  struct Flush {  // one flushAll() over every master
    size_t remaining = 0;
    bool failed = false;
  };
  void flushAll();
  void flushNode(std::shared_ptr<Flush> flush, std::string node, std::string scanCursor);

  std::unique_ptr<GraphStore> inner_;
  RedisClient& redis_;
  uint64_t stateToken_ = 0;  // our subscription to redis_'s state changes
  std::string ttl_;
  core::Counter& hits_;
  core::Counter& misses_;
  core::Counter& fallbacks_;
  bool ready_ = true;  // false while missed invalidations are being replayed
  size_t maxPending_;
  std::unordered_set<std::string> pending_;  // invalidations Redis did not get
  bool pendingOverflow_ = false;
  uint64_t epoch_ = 0;
  uint64_t prunedAt_ = 0;
  std::unordered_map<std::string, uint64_t> lastWrite_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tidecast::social::store
