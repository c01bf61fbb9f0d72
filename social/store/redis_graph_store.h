// The follow graph in Redis, for several tidecast nodes sharing one graph. Every key carries
// its user's id as a hash tag, so each user's keys live in one Redis Cluster slot:
//   social:graph:following:{u}  ZSET followee -> position (seconds, below)      owned by u
//   social:graph:muted:{u}      SET  followees whose notify flag u turned off   owned by u
//   social:graph:blocks:{u}     SET  users u blocked                             owned by u
//   social:graph:outbox:{u}     LIST u's follow changes not yet dispatched       owned by u
//   social:graph:followers:{u}  ZSET follower -> position                       derived
//   social:graph:followers:{u}:<start>   more followers, from position <start>  derived
//   social:graph:followers-index:{u}     ZSET the bucket starts                 derived
//   social:graph:followers-count:{u}     the followers, while there are buckets derived
//   social:graph:blockedby:{u}  SET  users who blocked u                         derived
//   social:graph:lease:{u}      STRING the dispatcher holding u's outbox (PX lease)
// plus two keys of one slot ({outbox}) for every user:
//   social:graph:pending:{outbox}  ZSET user -> Redis time (ms) of the user's last write
//   social:graph:ids:{outbox}      the event id counter
//
// Outbox (docs/architecture.md "Redis outbox"): a write first marks its user pending and takes
// an event id (one script on the {outbox} slot), then changes the user's own keys and appends
// the entry to outbox:{u} in one script on u's slot. The dispatcher, holding u's lease,
// applies each entry's other side idempotently (followers:{other}, blockedby:{other}, the
// other's follow of u on a block), hands the events to the sink with the entry's id, then
// trims the entries (fenced by the lease). A crash between any two steps re-applies and
// re-delivers with the same id; nothing is lost. A write is answered after its dispatch
// (read-your-writes), unless another node holds the lease or the dispatch failed: then the
// derived keys lag until that node or the sweeper (any node, every sweepIntervalMs, for users
// marked longer than graceMs ago) dispatches. Owned keys are never behind.
//
// Memory (bench/RESULTS.md "Redis store memory"): a follow is two sorted-set entries. A
// position is whole seconds since kPositionEpochUnixS, a 32-bit integer in Redis's listpack
// (6 bytes against 10 for microseconds), and the followers of a popular user are split into
// buckets of followersBucket entries (redis_graph_scripts.h), so every set stays a listpack
// (~15 bytes an entry against ~110 in a skiplist). So positions tie within a second: pages
// order one second's entries by user id (descending) and cursors carry (position, user), so
// paging through ties neither skips nor repeats; createdMs is exact to the second.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/loop.h"
#include "social/store/graph_store.h"
#include "social/store/redis_client.h"

namespace tidecast::social::store {

struct RedisOutboxSettings {
  // A dispatcher owns a user's outbox this long per round (renewed each batch); longer than
  // a round can take (four command timeouts), so only a stalled node loses it mid-round.
  uint32_t leaseMs = 15000;
  // A pending user is swept once marked this long ago; a write whose script runs later than
  // graceMs / 2 after its mark is refused (retry), so a sweep never drops a mark too early.
  uint32_t graceMs = 30000;
  uint32_t sweepIntervalMs = 1000;
  uint32_t sweepBatch = 256;     // pending users looked at per sweep step
  uint32_t dispatchBatch = 128;  // outbox entries per dispatch round
  uint32_t maxPerUser = 1000;    // outbox entries per user; past it writes fail (503)
  uint32_t maxUnsent = 10000;    // users remembered while no sink is set (then: the sweep)
};

struct RedisGraphLayout {
  // Followers per sorted set before it splits into buckets: at most redis-server's
  // zset-max-listpack-entries (128 by default), so every set keeps the compact encoding.
  uint32_t followersBucket = 128;
  // Unix seconds now; tests set a clock of their own.
  std::function<int64_t()> nowUnixS;
};

// Positions count seconds from 2020-01-01T00:00:00Z: they fit 32 bits until 2088.
inline constexpr int64_t kPositionEpochUnixS = 1577836800;
// Followers per bucket accepted by the store (a split moves half a bucket in one Lua call).
inline constexpr uint32_t kMinFollowersBucket = 16;
inline constexpr uint32_t kMaxFollowersBucket = 4096;

class RedisGraphStore final : public GraphStore {
 public:
  RedisGraphStore(RedisClient& redis, GraphLimits limits, RedisOutboxSettings outbox = {},
                  RedisGraphLayout layout = {});
  ~RedisGraphStore() override;

  std::string_view backend() const override { return "redis"; }
  void follow(std::string follower, std::string followee, bool notify, Done<bool> done) override;
  void unfollow(std::string follower, std::string followee, Done<bool> done) override;
  void block(std::string blocker, std::string blocked, Done<bool> done) override;
  void unblock(std::string blocker, std::string blocked, Done<bool> done) override;
  void edge(std::string follower, std::string followee, Done<std::optional<Edge>> done) override;
  void followers(std::string user, std::string cursor, uint32_t limit, Done<Page> done) override;
  void following(std::string user, std::string cursor, uint32_t limit, Done<Page> done) override;
  void counts(std::string user, Done<Counts> done) override;
  void mutual(std::string user, uint32_t limit, Done<std::vector<std::string>> done) override;
  void blocked(std::string blocker, std::string other, Done<bool> done) override;
  void recommendations(std::string user, uint32_t limit,
                       Done<std::vector<Recommendation>> done) override;
  // Starts dispatching (what this store wrote meanwhile, then the sweeps).
  void setEventSink(std::function<void(const core::Event&)> sink) override;

  uint64_t deliveredEvents() const { return delivered_; }  // handed to the sink by this store
  uint64_t pendingUsers() const { return pendingUsers_; }  // marked pending at the last sweep

  static std::string followingKey(std::string_view user);
  static std::string followersKey(std::string_view user);  // the first bucket
  static std::string followersIndexKey(std::string_view user);
  static std::string followersCountKey(std::string_view user);
  static std::string mutedKey(std::string_view user);
  static std::string blocksKey(std::string_view user);
  static std::string blockedByKey(std::string_view user);
  static std::string outboxKey(std::string_view user);
  static std::string leaseKey(std::string_view user);
  static const std::string& pendingKey();
  static const std::string& idsKey();

 private:
  // What a write script answered: >= 0 its result, < 0 a refusal (kRefused*).
  using Interpret = std::function<core::Result<bool>(int64_t code)>;
  enum class EntryKind;  // what an outbox entry asks for (redis_graph_outbox.cpp)
  struct Entry;          // one outbox entry, parsed
  struct Batch;          // the entries one dispatch round read
  struct Dispatch {      // one user's dispatch on this node
    std::string token;   // the lease value while held
    bool again = false;  // more was written meanwhile: another round after this one
    std::vector<std::function<void()>> waiters;
  };

  int64_t nextPosition() const;
  // Marks `user` pending, takes an event id, runs the script `build` makes (it appends to
  // the outbox when `appends(code)`), then dispatches before answering.
  void write(const std::string& user,
             std::function<RedisClient::Command(int64_t markMs, int64_t id)> build,
             Interpret interpret, std::function<bool(int64_t code)> appends, Done<bool> done);
  void page(bool followersSide, std::string user, std::string cursor, uint32_t limit,
            Done<Page> done);
  // Mutual follows of a user whose followers are bucketed: asks each followee's own set,
  // newest first, a chunk at a time, until `limit` are found.
  void mutualByFollowees(std::string user, std::shared_ptr<std::vector<std::string>> followees,
                         size_t from, uint32_t limit,
                         std::shared_ptr<std::vector<std::string>> found,
                         Done<std::vector<std::string>> done);

  // ---- the dispatcher (redis_graph_outbox.cpp) ------------------------------------------
  // Dispatches `user`'s outbox if this node can take its lease; `after` runs when that ends
  // (at once when the sink is not set yet). A user already being dispatched here is
  // dispatched again after the round in progress; `join` then waits for it.
  void dispatch(const std::string& user, std::function<void()> after, bool join = true);
  void acquire(const std::string& user);
  // A round, in stages (redis_graph_outbox.cpp): read a batch -> mark the blocked sides ->
  // apply the other sides -> deliver and ack (trim) -> next (another round, or finish).
  void round(const std::string& user);
  void onRead(const std::string& user, const core::Result<RedisValue>& reply);
  void releaseLease(const std::string& user);
  void mark(const std::shared_ptr<Batch>& batch);
  void apply(const std::shared_ptr<Batch>& batch,
             const core::Result<std::vector<RedisValue>>& marked);
  void ack(const std::shared_ptr<Batch>& batch,
           const core::Result<std::vector<RedisValue>>& applied);
  void next(const std::shared_ptr<Batch>& batch, core::Result<RedisValue> left);
  void deliver(const Batch& batch);
  void finish(const std::string& user);
  void sweep();

  RedisClient& redis_;
  GraphLimits limits_;
  RedisOutboxSettings outbox_;
  RedisGraphLayout layout_;
  std::function<void(const core::Event&)> sink_;
  std::string node_;  // this store's lease token prefix (random)
  uint64_t rounds_ = 0;
  std::unordered_map<std::string, Dispatch> dispatching_;
  std::unordered_set<std::string> unsent_;  // written before the sink was set
  core::Timer sweepTimer_;
  bool sweeping_ = false;
  uint64_t delivered_ = 0;
  uint64_t pendingUsers_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace tidecast::social::store
