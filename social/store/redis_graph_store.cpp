#include "social/store/redis_graph_store.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <random>

#include "social/store/redis_graph_scripts.h"

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

std::string randomToken() {
  std::random_device device;
  std::uniform_int_distribution<uint64_t> any;
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(any(device)));
  return text;
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
std::string RedisGraphStore::outboxKey(std::string_view u) { return key("outbox", u); }
std::string RedisGraphStore::leaseKey(std::string_view u) { return key("lease", u); }
const std::string& RedisGraphStore::pendingKey() {
  static const std::string k = key("pending", "outbox");
  return k;
}
const std::string& RedisGraphStore::idsKey() {
  static const std::string k = key("ids", "outbox");
  return k;
}

RedisGraphStore::RedisGraphStore(RedisClient& redis, GraphLimits limits, RedisOutboxSettings outbox)
    : redis_(redis),
      limits_(limits),
      outbox_(outbox),
      node_(randomToken()),
      sweepTimer_(redis.loop()) {}

RedisGraphStore::~RedisGraphStore() { *alive_ = false; }

int64_t RedisGraphStore::nextPosition() {
  lastPosition_ = std::max(lastPosition_ + 1, nowUnixUs());
  return lastPosition_;
}

void RedisGraphStore::write(const std::string& user,
                            std::function<Command(int64_t markMs, int64_t id)> build,
                            Interpret interpret, std::function<bool(int64_t)> appends,
                            Done<bool> done) {
  Command mark{"EVAL", std::string(scripts::kMark), "2", pendingKey(), idsKey(), user};
  redis_.command(std::move(mark), [this, alive = alive_, user, build = std::move(build),
                                   interpret = std::move(interpret), appends = std::move(appends),
                                   done = std::move(done)](auto marked) mutable {
    if (!*alive) return;
    if (!marked) return done(marked.error());
    const auto& e = marked->elements;
    if (e.size() != 2) return done(core::makeError("social.store", "redis: bad mark reply"));
    Command change = build(integerOf(e[0]), integerOf(e[1]));
    redis_.command(std::move(change), [this, alive, user, interpret = std::move(interpret),
                                       appends = std::move(appends),
                                       done = std::move(done)](auto reply) mutable {
      if (!*alive) return;
      if (!reply) return done(reply.error());
      int64_t code = integerOf(*reply);
      if (code == scripts::kRefusedLate) {
        return done(core::makeError("social.store_unavailable",
                                    "redis: the write reached Redis too late; retry"));
      }
      if (code == scripts::kRefusedFull) {
        return done(core::makeError("social.store_unavailable",
                                    "redis: too many follow changes waiting for dispatch"));
      }
      core::Result<bool> result = interpret(code);
      if (!result || !appends(code)) return done(std::move(result));
      // Answered once its other side is applied (read-your-writes on this node).
      dispatch(user, [result = std::move(result), done = std::move(done)]() mutable {
        done(std::move(result));
      });
    });
  });
}

void RedisGraphStore::follow(std::string a, std::string b, bool notify, Done<bool> done) {
  auto build = [this, a, b, notify](int64_t markMs, int64_t id) {
    return Command{"EVAL",
                   std::string(scripts::kFollow),
                   "5",
                   followingKey(a),
                   mutedKey(a),
                   blocksKey(a),
                   blockedByKey(a),
                   outboxKey(a),
                   b,
                   notify ? "1" : "0",
                   std::to_string(nextPosition()),
                   std::to_string(id),
                   std::to_string(markMs),
                   std::to_string(outbox_.graceMs / 2),
                   std::to_string(limits_.maxFollowing),
                   std::to_string(outbox_.maxPerUser)};
  };
  auto interpret = [max = limits_.maxFollowing](int64_t code) -> core::Result<bool> {
    if (code == scripts::kRefusedBlocked) {
      return core::makeError("social.blocked", "one of the two blocks the other");
    }
    if (code == scripts::kRefusedTooMany) {
      return core::makeError("social.too_many_following",
                             "following " + std::to_string(max) + " users already");
    }
    return code == 1;
  };
  write(
      a, std::move(build), std::move(interpret), [](int64_t code) { return code == 1; },
      std::move(done));
}

void RedisGraphStore::unfollow(std::string a, std::string b, Done<bool> done) {
  auto build = [this, a, b](int64_t markMs, int64_t id) {
    return Command{"EVAL",
                   std::string(scripts::kUnfollow),
                   "3",
                   followingKey(a),
                   mutedKey(a),
                   outboxKey(a),
                   b,
                   std::to_string(id),
                   std::to_string(markMs),
                   std::to_string(outbox_.graceMs / 2),
                   std::to_string(outbox_.maxPerUser)};
  };
  write(
      a, std::move(build), [](int64_t code) -> core::Result<bool> { return code == 1; },
      [](int64_t code) { return code == 1; }, std::move(done));
}

void RedisGraphStore::block(std::string a, std::string b, Done<bool> done) {
  auto build = [this, a, b](int64_t markMs, int64_t id) {
    return Command{"EVAL",
                   std::string(scripts::kBlock),
                   "4",
                   blocksKey(a),
                   followingKey(a),
                   mutedKey(a),
                   outboxKey(a),
                   b,
                   std::to_string(id),
                   std::to_string(markMs),
                   std::to_string(outbox_.graceMs / 2),
                   std::to_string(outbox_.maxPerUser)};
  };
  write(
      a, std::move(build), [](int64_t code) -> core::Result<bool> { return code == 1; },
      [](int64_t code) { return code >= 0; }, std::move(done));
}

void RedisGraphStore::unblock(std::string a, std::string b, Done<bool> done) {
  auto build = [this, a, b](int64_t markMs, int64_t) {
    return Command{"EVAL",
                   std::string(scripts::kUnblock),
                   "2",
                   blocksKey(a),
                   outboxKey(a),
                   b,
                   std::to_string(markMs),
                   std::to_string(outbox_.graceMs / 2)};
  };
  write(
      a, std::move(build), [](int64_t code) -> core::Result<bool> { return code == 1; },
      [](int64_t code) { return code == 1; }, std::move(done));
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
