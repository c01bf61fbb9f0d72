#include "social/store/redis_graph_store.h"

#include <charconv>
#include <chrono>
#include <cstdlib>

namespace tidecast::social::store {

namespace {

using Command = RedisClient::Command;

int64_t nowUnixUs() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::string key(std::string_view kind, std::string_view user) {
  std::string out = "social:graph:";
  out.append(kind).append(":{").append(user).append("}");
  return out;
}

bool truthy(const RedisValue& value) { return integerOf(value) != 0; }

int64_t scoreOf(const RedisValue& value) {
  return static_cast<int64_t>(std::strtod(value.text.c_str(), nullptr));
}

std::vector<std::string> strings(const RedisValue& value) {
  std::vector<std::string> out;
  out.reserve(value.elements.size());
  for (const auto& e : value.elements) out.push_back(e.text);
  return out;
}

// "" -> "+inf"; otherwise an exclusive bound "(<position>".
core::Result<std::string> maxBound(const std::string& cursor) {
  if (cursor.empty()) return std::string("+inf");
  int64_t value = 0;
  auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), value);
  if (ec != std::errc{} || end != cursor.data() + cursor.size() || value <= 0) {
    return core::makeError("social.bad_cursor", "cursor is not one this API returned");
  }
  return "(" + cursor;
}

}  // namespace

std::string RedisGraphStore::followingKey(std::string_view u) { return key("following", u); }
std::string RedisGraphStore::followersKey(std::string_view u) { return key("followers", u); }
std::string RedisGraphStore::mutedKey(std::string_view u) { return key("muted", u); }
std::string RedisGraphStore::blocksKey(std::string_view u) { return key("blocks", u); }
std::string RedisGraphStore::blockedByKey(std::string_view u) { return key("blockedby", u); }

RedisGraphStore::RedisGraphStore(RedisClient& redis, GraphLimits limits)
    : redis_(redis), limits_(limits), nextEventId_(static_cast<uint64_t>(nowUnixUs()) * 1024) {}

int64_t RedisGraphStore::nextPosition() {
  lastPosition_ = std::max(lastPosition_ + 1, nowUnixUs());
  return lastPosition_;
}

void RedisGraphStore::publish(std::string_view type, const std::string& a, const std::string& b,
                              bool notify) {
  if (!sink_) return;
  core::Event event;
  event.type = std::string(type);
  event.id = ++nextEventId_;
  event.payload = followEventPayload(a, b, notify);
  sink_(event);
}

void RedisGraphStore::follow(std::string a, std::string b, bool notify, Done<bool> done) {
  std::vector<Command> checks{{"SISMEMBER", blocksKey(a), b},
                              {"SISMEMBER", blocksKey(b), a},
                              {"ZSCORE", followingKey(a), b},
                              {"ZCARD", followingKey(a)}};
  redis_.pipeline(std::move(checks), [this, alive = alive_, a, b, notify,
                                      done = std::move(done)](auto replies) mutable {
    if (!*alive) return;
    if (!replies) return done(replies.error());
    const auto& r = *replies;
    if (truthy(r[0]) || truthy(r[1])) {
      return done(core::makeError("social.blocked", "one of the two blocks the other"));
    }
    Command mute = notify ? Command{"SREM", mutedKey(a), b} : Command{"SADD", mutedKey(a), b};
    if (!r[2].isNil()) {  // already following: only the bell may change
      return redis_.command(std::move(mute), [done = std::move(done)](auto reply) {
        if (!reply) return done(reply.error());
        done(false);
      });
    }
    if (integerOf(r[3]) >= static_cast<int64_t>(limits_.maxFollowing)) {
      return done(
          core::makeError("social.too_many_following",
                          "following " + std::to_string(limits_.maxFollowing) + " users already"));
    }
    std::string position = std::to_string(nextPosition());
    std::vector<Command> writes{{"ZADD", followingKey(a), "NX", position, b},
                                {"ZADD", followersKey(b), "NX", position, a},
                                std::move(mute)};
    redis_.pipeline(std::move(writes),
                    [this, alive, a, b, notify, done = std::move(done)](auto written) {
                      if (!*alive) return;
                      if (!written) return done(written.error());
                      bool created = truthy((*written)[0]);
                      done(created);
                      if (created && *alive) publish(kFollowedEvent, a, b, notify);
                    });
  });
}

void RedisGraphStore::unfollow(std::string a, std::string b, Done<bool> done) {
  std::vector<Command> writes{
      {"ZREM", followingKey(a), b}, {"ZREM", followersKey(b), a}, {"SREM", mutedKey(a), b}};
  redis_.pipeline(std::move(writes),
                  [this, alive = alive_, a, b, done = std::move(done)](auto replies) {
                    if (!*alive) return;
                    if (!replies) return done(replies.error());
                    bool removed = truthy((*replies)[0]);
                    done(removed);
                    if (removed && *alive) {
                      publish(kUnfollowedEvent, a, b, !truthy((*replies)[2]));
                    }
                  });
}

void RedisGraphStore::block(std::string a, std::string b, Done<bool> done) {
  std::vector<Command> writes{{"SADD", blocksKey(a), b},    {"SADD", blockedByKey(b), a},
                              {"ZREM", followingKey(a), b}, {"ZREM", followersKey(b), a},
                              {"ZREM", followingKey(b), a}, {"ZREM", followersKey(a), b},
                              {"SREM", mutedKey(a), b},     {"SREM", mutedKey(b), a}};
  redis_.pipeline(std::move(writes),
                  [this, alive = alive_, a, b, done = std::move(done)](auto replies) {
                    if (!*alive) return;
                    if (!replies) return done(replies.error());
                    const auto& r = *replies;
                    done(truthy(r[0]) || truthy(r[2]) || truthy(r[4]));
                    if (*alive && truthy(r[2])) publish(kUnfollowedEvent, a, b, !truthy(r[6]));
                    if (*alive && truthy(r[4])) publish(kUnfollowedEvent, b, a, !truthy(r[7]));
                  });
}

void RedisGraphStore::unblock(std::string a, std::string b, Done<bool> done) {
  redis_.pipeline({{"SREM", blocksKey(a), b}, {"SREM", blockedByKey(b), a}},
                  [done = std::move(done)](auto replies) {
                    if (!replies) return done(replies.error());
                    done(truthy((*replies)[0]));
                  });
}

void RedisGraphStore::edge(std::string a, std::string b, Done<std::optional<Edge>> done) {
  redis_.pipeline({{"ZSCORE", followingKey(a), b}, {"SISMEMBER", mutedKey(a), b}},
                  [b, done = std::move(done)](auto replies) {
                    if (!replies) return done(replies.error());
                    const auto& r = *replies;
                    if (r[0].isNil()) return done(std::optional<Edge>());
                    done(std::optional<Edge>(Edge{b, scoreOf(r[0]) / 1000, !truthy(r[1])}));
                  });
}

void RedisGraphStore::page(std::string pageKey, bool followersSide, std::string user,
                           std::string cursor, uint32_t limit, Done<Page> done) {
  auto bound = maxBound(cursor);
  if (!bound) return done(bound.error());
  Command range{
      "ZREVRANGEBYSCORE",       std::move(pageKey), *bound, "-inf", "WITHSCORES", "LIMIT", "0",
      std::to_string(limit + 1)};
  redis_.command(std::move(range), [this, alive = alive_, followersSide, user, limit,
                                    done = std::move(done)](auto reply) mutable {
    if (!*alive) return;
    if (!reply) return done(reply.error());
    auto page = std::make_shared<Page>();
    const auto& e = reply->elements;
    int64_t lastPosition = 0;
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      if (page->items.size() == limit) {
        page->nextCursor = std::to_string(lastPosition);
        break;
      }
      lastPosition = scoreOf(e[i + 1]);
      page->items.push_back({e[i].text, lastPosition / 1000, true});
    }
    if (page->items.empty()) return done(std::move(*page));
    // The bell: muted:{follower} holds it, one set per follower (other slots) for a
    // followers page; one SMISMEMBER for a following page.
    std::vector<Command> muted;
    if (followersSide) {
      for (const Edge& edge : page->items)
        muted.push_back({"SISMEMBER", mutedKey(edge.user), user});
    } else {
      Command check{"SMISMEMBER", mutedKey(user)};
      for (const Edge& edge : page->items) check.push_back(edge.user);
      muted.push_back(std::move(check));
    }
    redis_.pipeline(std::move(muted), [page, followersSide, done = std::move(done)](auto flags) {
      if (!flags) return done(flags.error());
      for (size_t i = 0; i < page->items.size(); ++i) {
        const RedisValue& flag = followersSide ? (*flags)[i] : (*flags)[0].elements.at(i);
        page->items[i].notify = !truthy(flag);
      }
      done(std::move(*page));
    });
  });
}

void RedisGraphStore::followers(std::string user, std::string cursor, uint32_t limit,
                                Done<Page> done) {
  std::string k = followersKey(user);
  page(std::move(k), true, std::move(user), std::move(cursor), limit, std::move(done));
}

void RedisGraphStore::following(std::string user, std::string cursor, uint32_t limit,
                                Done<Page> done) {
  std::string k = followingKey(user);
  page(std::move(k), false, std::move(user), std::move(cursor), limit, std::move(done));
}

void RedisGraphStore::counts(std::string user, Done<Counts> done) {
  redis_.pipeline({{"ZCARD", followersKey(user)}, {"ZCARD", followingKey(user)}},
                  [done = std::move(done)](auto replies) {
                    if (!replies) return done(replies.error());
                    done(Counts{static_cast<uint64_t>(integerOf((*replies)[0])),
                                static_cast<uint64_t>(integerOf((*replies)[1]))});
                  });
}

void RedisGraphStore::mutual(std::string user, uint32_t limit,
                             Done<std::vector<std::string>> done) {
  // Both keys carry {user}: one slot, so ZINTER works on a cluster. Scores are the
  // following side's positions; newest last.
  redis_.command({"ZINTER", "2", followingKey(user), followersKey(user), "WEIGHTS", "1", "0"},
                 [limit, done = std::move(done)](auto reply) {
                   if (!reply) return done(reply.error());
                   std::vector<std::string> out;
                   const auto& e = reply->elements;
                   for (auto it = e.rbegin(); it != e.rend() && out.size() < limit; ++it) {
                     out.push_back(it->text);
                   }
                   done(std::move(out));
                 });
}

void RedisGraphStore::blocked(std::string blocker, std::string other, Done<bool> done) {
  redis_.command({"SISMEMBER", blocksKey(blocker), other}, [done = std::move(done)](auto reply) {
    if (!reply) return done(reply.error());
    done(truthy(*reply));
  });
}

void RedisGraphStore::recommendations(std::string user, uint32_t limit,
                                      Done<std::vector<Recommendation>> done) {
  std::vector<Command> first{
      {"ZREVRANGE", followingKey(user), "0", std::to_string(limits_.maxFollowing - 1)},
      {"SMEMBERS", blocksKey(user)},
      {"SMEMBERS", blockedByKey(user)}};
  redis_.pipeline(std::move(first), [this, alive = alive_, user, limit,
                                     done = std::move(done)](auto replies) mutable {
    if (!*alive) return;
    if (!replies) return done(replies.error());
    auto exclude = std::make_shared<std::vector<std::string>>(strings((*replies)[0]));
    size_t sources = std::min<size_t>(exclude->size(), limits_.recommendationSources);
    std::vector<Command> reads;
    for (size_t i = 0; i < sources; ++i) {
      reads.push_back({"ZREVRANGE", followingKey((*exclude)[i]), "0",
                       std::to_string(limits_.recommendationPerSource - 1)});
    }
    for (int set : {1, 2}) {
      for (auto& u : strings((*replies)[set])) exclude->push_back(std::move(u));
    }
    std::sort(exclude->begin(), exclude->end());
    redis_.pipeline(std::move(reads),
                    [user, limit, exclude, done = std::move(done)](auto candidates) {
                      if (!candidates) return done(candidates.error());
                      std::vector<std::vector<std::string>> lists;
                      lists.reserve(candidates->size());
                      for (const auto& list : *candidates) lists.push_back(strings(list));
                      done(rankRecommendations(user, lists, *exclude, limit));
                    });
  });
}

}  // namespace tidecast::social::store
