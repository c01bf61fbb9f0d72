#include "social/store/redis_graph_store.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <random>

#include "social/store/redis_graph_scripts.h"

namespace tidecast::social::store {

namespace {

using Command = RedisClient::Command;

int64_t systemUnixS() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

int64_t createdMsOf(int64_t position) { return (position + kPositionEpochUnixS) * 1000; }

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

// Where a page starts: below (position, user), the last item of the page before.
struct PageStart {
  std::string top = "+inf";  // the position, or +inf for the first page
  std::string after;         // the user at `top` the page before ended with ("": none)
};

// "" -> the first page; "<position>:<user>" -> after that item; "<position>" -> below it.
core::Result<PageStart> pageStart(const std::string& cursor) {
  if (cursor.empty()) return PageStart{};
  size_t colon = cursor.find(':');
  std::string_view number = std::string_view(cursor).substr(0, colon);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  bool userOk = colon == std::string::npos || validUserId(cursor.substr(colon + 1));
  if (ec != std::errc{} || end != number.data() + number.size() || value <= 0 || !userOk) {
    return core::makeError("social.bad_cursor", "cursor is not one this API returned");
  }
  return PageStart{std::string(number), colon == std::string::npos ? "" : cursor.substr(colon + 1)};
}

}  // namespace

std::string RedisGraphStore::followingKey(std::string_view u) { return key("following", u); }
std::string RedisGraphStore::followersKey(std::string_view u) { return key("followers", u); }
std::string RedisGraphStore::followersIndexKey(std::string_view u) {
  return key("followers-index", u);
}
std::string RedisGraphStore::followersCountKey(std::string_view u) {
  return key("followers-count", u);
}
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

RedisGraphStore::RedisGraphStore(RedisClient& redis, GraphLimits limits, RedisOutboxSettings outbox,
                                 RedisGraphLayout layout)
    : redis_(redis),
      limits_(limits),
      outbox_(outbox),
      layout_(std::move(layout)),
      node_(randomToken()),
      sweepTimer_(redis.loop()) {
  layout_.followersBucket =
      std::clamp(layout_.followersBucket, kMinFollowersBucket, kMaxFollowersBucket);
  if (!layout_.nowUnixS) layout_.nowUnixS = systemUnixS;
}

RedisGraphStore::~RedisGraphStore() { *alive_ = false; }

int64_t RedisGraphStore::nextPosition() const {
  return std::max<int64_t>(1, layout_.nowUnixS() - kPositionEpochUnixS);
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
                    done(std::optional<Edge>(Edge{b, createdMsOf(scoreOf(r[0])), !truthy(r[1])}));
                  });
}

void RedisGraphStore::page(bool followersSide, std::string user, std::string cursor, uint32_t limit,
                           Done<Page> done) {
  auto start = pageStart(cursor);
  if (!start) return done(start.error());
  Command range{"EVAL", std::string(scripts::kPage)};
  if (followersSide) {
    range.insert(range.end(), {"2", followersKey(user), followersIndexKey(user)});
  } else {
    range.insert(range.end(), {"1", followingKey(user)});
  }
  range.insert(range.end(), {start->top, start->after, std::to_string(limit + 1)});
  redis_.command(std::move(range), [this, alive = alive_, followersSide, user, limit,
                                    done = std::move(done)](auto reply) mutable {
    if (!*alive) return;
    if (!reply) return done(reply.error());
    auto page = std::make_shared<Page>();
    const auto& e = reply->elements;
    int64_t lastPosition = 0;
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      if (page->items.size() == limit) {
        page->nextCursor = std::to_string(lastPosition) + ":" + page->items.back().user;
        break;
      }
      lastPosition = scoreOf(e[i + 1]);
      page->items.push_back({e[i].text, createdMsOf(lastPosition), true});
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
  page(true, std::move(user), std::move(cursor), limit, std::move(done));
}

void RedisGraphStore::following(std::string user, std::string cursor, uint32_t limit,
                                Done<Page> done) {
  page(false, std::move(user), std::move(cursor), limit, std::move(done));
}

void RedisGraphStore::counts(std::string user, Done<Counts> done) {
  // Bucketed followers are counted in followers-count:{u}; otherwise the one set's size.
  redis_.pipeline({{"ZCARD", followersKey(user)},
                   {"GET", followersCountKey(user)},
                   {"ZCARD", followingKey(user)}},
                  [done = std::move(done)](auto replies) {
                    if (!replies) return done(replies.error());
                    const auto& r = *replies;
                    int64_t followers = integerOf(r[0]);
                    if (!r[1].isNil()) followers = std::strtoll(r[1].text.c_str(), nullptr, 10);
                    done(Counts{static_cast<uint64_t>(std::max<int64_t>(0, followers)),
                                static_cast<uint64_t>(integerOf(r[2]))});
                  });
}

void RedisGraphStore::mutual(std::string user, uint32_t limit,
                             Done<std::vector<std::string>> done) {
  // All keys carry {user}: one slot, so ZINTER works on a cluster. Scores are the following
  // side's positions; newest last. Bucketed followers: each followee's own set is asked.
  Command both{"EVAL",
               std::string(scripts::kMutual),
               "3",
               followingKey(user),
               followersKey(user),
               followersIndexKey(user)};
  redis_.command(std::move(both), [this, alive = alive_, user, limit,
                                   done = std::move(done)](auto reply) mutable {
    if (!*alive) return;
    if (!reply) return done(reply.error());
    const auto& e = reply->elements;
    if (e.size() != 2) return done(core::makeError("social.store", "redis: bad mutual reply"));
    if (integerOf(e[0]) == 1) {
      auto followees = std::make_shared<std::vector<std::string>>(strings(e[1]));
      auto found = std::make_shared<std::vector<std::string>>();
      return mutualByFollowees(std::move(user), std::move(followees), 0, limit, std::move(found),
                               std::move(done));
    }
    std::vector<std::string> out;
    const auto& intersection = e[1].elements;
    for (auto it = intersection.rbegin(); it != intersection.rend() && out.size() < limit; ++it) {
      out.push_back(it->text);
    }
    done(std::move(out));
  });
}

void RedisGraphStore::mutualByFollowees(std::string user,
                                        std::shared_ptr<std::vector<std::string>> followees,
                                        size_t from, uint32_t limit,
                                        std::shared_ptr<std::vector<std::string>> found,
                                        Done<std::vector<std::string>> done) {
  constexpr size_t kChunk = 256;
  if (found->size() >= limit || from >= followees->size()) return done(std::move(*found));
  size_t to = std::min(followees->size(), from + kChunk);
  std::vector<Command> checks;
  for (size_t i = from; i < to; ++i)
    checks.push_back({"ZSCORE", followingKey((*followees)[i]), user});
  redis_.pipeline(std::move(checks),
                  [this, alive = alive_, user = std::move(user), followees, from, to, limit, found,
                   done = std::move(done)](auto replies) mutable {
                    if (!*alive) return;
                    if (!replies) return done(replies.error());
                    for (size_t i = from; i < to && found->size() < limit; ++i) {
                      if (!(*replies)[i - from].isNil()) found->push_back((*followees)[i]);
                    }
                    mutualByFollowees(std::move(user), std::move(followees), to, limit,
                                      std::move(found), std::move(done));
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
