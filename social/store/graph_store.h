// The follow graph's storage: one interface, two backends chosen by config (social.store):
// SqliteGraphStore (embedded, the default) and RedisGraphStore (shared by several nodes).
// Every call returns at once and answers through `done` on the loop thread: later, or inside
// the call when it fails at once (a bad cursor, Redis down); the loop never waits for disk or
// network. Loop thread only.
//
// User ids are opaque strings (a JWT "sub"), checked by validUserId. Paging is newest first:
// a Page's nextCursor, passed back as `cursor`, continues after its last item; "" ends.
// SQLite orders by a write sequence; Redis by the follow's whole second (its createdMs),
// then by user id, descending, so edges from nodes whose clocks differ still page exactly.
//
// Error codes: social.store (the backend failed), social.store_unavailable (Redis is down),
// social.blocked (one of the two blocks the other), social.too_many_following (the follower
// already follows GraphLimits::maxFollowing users), social.bad_cursor.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_bus.h"
#include "core/result.h"

namespace tidecast::social::store {

inline constexpr size_t kMaxUserIdBytes = 64;

// 1..kMaxUserIdBytes of [A-Za-z0-9_.@-]: safe in keys, paths and logs.
bool validUserId(std::string_view id);

struct GraphLimits {
  uint32_t maxFollowing = 5000;            // follows one user may hold
  uint32_t recommendationSources = 100;    // newest followees whose follows are scanned
  uint32_t recommendationPerSource = 100;  // newest follows read from each of them
};

struct Edge {
  std::string user;       // the other end (follower in a followers page, followee otherwise)
  int64_t createdMs = 0;  // unix milliseconds (whole seconds in the Redis store)
  bool notify = true;     // the bell: tell the follower when the followee goes live
};

struct Page {
  std::vector<Edge> items;
  std::string nextCursor;  // "" when there is nothing after
};

struct Counts {
  uint64_t followers = 0;
  uint64_t following = 0;
};

struct Recommendation {
  std::string user;
  uint32_t score = 0;  // how many of the people you follow follow them
};

template <class T>
using Done = std::function<void(core::Result<T>)>;

// Events the follow graph announces on the EventBus (type, payload {"follower","followee",
// "notify"}); Event::id is unique per event, so a consumer that persists what it did can
// drop a re-delivery.
inline constexpr std::string_view kFollowedEvent = "social.followed";
inline constexpr std::string_view kUnfollowedEvent = "social.unfollowed";

class GraphStore {
 public:
  virtual ~GraphStore() = default;
  virtual std::string_view backend() const = 0;  // "sqlite", "redis"

  // ---- writes: idempotent; `done(true)` when something changed --------------------------
  // Creates the edge, or sets its notify flag when it exists (then done(false)).
  virtual void follow(std::string follower, std::string followee, bool notify, Done<bool> done) = 0;
  virtual void unfollow(std::string follower, std::string followee, Done<bool> done) = 0;
  // Removes the follows both ways and stops new ones until unblock.
  virtual void block(std::string blocker, std::string blocked, Done<bool> done) = 0;
  virtual void unblock(std::string blocker, std::string blocked, Done<bool> done) = 0;

  // ---- reads --------------------------------------------------------------------------
  virtual void edge(std::string follower, std::string followee, Done<std::optional<Edge>> done) = 0;
  virtual void followers(std::string user, std::string cursor, uint32_t limit, Done<Page> done) = 0;
  virtual void following(std::string user, std::string cursor, uint32_t limit, Done<Page> done) = 0;
  virtual void counts(std::string user, Done<Counts> done) = 0;
  // Users `user` follows who follow `user` back, newest follow first, at most `limit`.
  virtual void mutual(std::string user, uint32_t limit, Done<std::vector<std::string>> done) = 0;
  virtual void blocked(std::string blocker, std::string other, Done<bool> done) = 0;
  // Friends of friends, best first; ties by user id. Excludes `user`, whom `user` follows and
  // anyone blocked either way.
  virtual void recommendations(std::string user, uint32_t limit,
                               Done<std::vector<Recommendation>> done) = 0;

  // Where events go (EventBus::publish, usually); set once the bus exists. Until then
  // events wait in the outbox (both backends).
  virtual void setEventSink(std::function<void(const core::Event&)> sink) = 0;
};

// Scores the candidates `lists` name (one list per source followee) and keeps the top
// `limit`, skipping `user` and everyone in `exclude` (sorted). Shared by both backends.
std::vector<Recommendation> rankRecommendations(const std::string& user,
                                                const std::vector<std::vector<std::string>>& lists,
                                                const std::vector<std::string>& exclude,
                                                uint32_t limit);

// The JSON payload of a follow event.
std::string followEventPayload(std::string_view follower, std::string_view followee, bool notify);

}  // namespace tidecast::social::store
