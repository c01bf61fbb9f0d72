// The follow graph in Redis, for several tidecast nodes sharing one graph. Every key carries
// its user's id as a hash tag, so each user's keys live in one Redis Cluster slot:
//   social:graph:following:{u}  ZSET followee -> position (unix microseconds, unique per node)
//   social:graph:followers:{u}  ZSET follower -> position
//   social:graph:muted:{u}      SET  followees whose notify flag u turned off (on by default)
//   social:graph:blocks:{u}     SET  users u blocked
//   social:graph:blockedby:{u}  SET  users who blocked u
// A follow touches two users (two slots), so its halves are separate commands made
// idempotent (ZADD NX, ZREM): retrying a failed write converges. Mutual follows are one
// ZINTER of two keys of the same slot. Events go to the sink once the write succeeded; a
// crash between the write and the event loses that event (the outbox is SQLite's).
#pragma once

#include "social/store/graph_store.h"
#include "social/store/redis_client.h"

namespace tidecast::social::store {

class RedisGraphStore final : public GraphStore {
 public:
  RedisGraphStore(RedisClient& redis, GraphLimits limits);

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
  void setEventSink(std::function<void(const core::Event&)> sink) override {
    sink_ = std::move(sink);
  }

  static std::string followingKey(std::string_view user);
  static std::string followersKey(std::string_view user);
  static std::string mutedKey(std::string_view user);
  static std::string blocksKey(std::string_view user);
  static std::string blockedByKey(std::string_view user);

 private:
  int64_t nextPosition();
  void publish(std::string_view type, const std::string& a, const std::string& b, bool notify);
  void page(std::string key, bool followersSide, std::string user, std::string cursor,
            uint32_t limit, Done<Page> done);

  RedisClient& redis_;
  GraphLimits limits_;
  std::function<void(const core::Event&)> sink_;
  int64_t lastPosition_ = 0;
  uint64_t nextEventId_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 public:
  ~RedisGraphStore() override { *alive_ = false; }
};

}  // namespace tidecast::social::store
