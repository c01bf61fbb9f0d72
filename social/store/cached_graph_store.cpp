#include "social/store/cached_graph_store.h"

#include <nlohmann/json.hpp>

namespace tidecast::social::store {

namespace {

using nlohmann::json;

std::string pageField(uint32_t limit) { return "first:" + std::to_string(limit); }

std::string encodePage(const Page& page) {
  json items = json::array();
  for (const Edge& e : page.items) items.push_back({e.user, e.createdMs, e.notify});
  return json{{"items", items}, {"next", page.nextCursor}}.dump();
}

std::optional<Page> decodePage(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (!doc.is_object() || !doc["items"].is_array() || !doc["next"].is_string()) return {};
  Page page;
  for (const auto& item : doc["items"]) {
    if (!item.is_array() || item.size() != 3 || !item[0].is_string() ||
        !item[1].is_number_integer() || !item[2].is_boolean()) {
      return {};
    }
    page.items.push_back({item[0].get<std::string>(), item[1].get<int64_t>(), item[2].get<bool>()});
  }
  page.nextCursor = doc["next"].get<std::string>();
  return page;
}

}  // namespace

std::string CachedGraphStore::cacheKey(std::string_view user) {
  return "social:followers:{" + std::string(user) + "}";
}

CachedGraphStore::CachedGraphStore(std::unique_ptr<GraphStore> inner, RedisClient& redis,
                                   uint32_t ttlSeconds, core::MetricsRegistry& metrics,
                                   size_t maxPending)
    : inner_(std::move(inner)),
      redis_(redis),
      ttl_(std::to_string(ttlSeconds)),
      hits_(metrics.counter("tidecast_social_followers_cache_hits_total",
                            "Followers pages answered from the Redis cache")),
      misses_(metrics.counter("tidecast_social_followers_cache_misses_total",
                              "Followers pages read from SQLite and cached")),
      fallbacks_(metrics.counter("tidecast_social_followers_cache_fallbacks_total",
                                 "Followers pages read from SQLite because Redis was unavailable")),
      maxPending_(maxPending) {
  metrics.gaugeCallback("tidecast_social_followers_cache_up",
                        "1 when the followers cache is in use, 0 when not",
                        [alive = alive_, this] { return *alive && usable() ? 1.0 : 0.0; });
  stateToken_ = redis_.subscribe([this](bool up) {
    if (up) reconnected();
  });
}

CachedGraphStore::~CachedGraphStore() {
  *alive_ = false;
  redis_.unsubscribe(stateToken_);
}

void CachedGraphStore::noteWrite(std::string_view user) {
  ++epoch_;
  if (lastWrite_.size() >= kMaxWriteEpochs) {
    lastWrite_.clear();
    prunedAt_ = epoch_;
  }
  lastWrite_[std::string(user)] = epoch_;
}

bool CachedGraphStore::mayFill(const std::string& user, uint64_t readEpoch) const {
  if (readEpoch < prunedAt_) return false;
  auto it = lastWrite_.find(user);
  return it == lastWrite_.end() || it->second <= readEpoch;
}

// Drops the users' cached pages, then calls `then` (the write is answered once Redis has
// the DEL, or once it is known to have missed it and the DEL waits for the replay).
void CachedGraphStore::invalidate(std::vector<std::string> users, std::function<void()> then) {
  std::vector<RedisClient::Command> dels;
  for (const std::string& user : users) {
    noteWrite(user);
    dels.push_back({"DEL", cacheKey(user)});
  }
  auto remember = [this](const std::vector<std::string>& missed) {
    for (const std::string& user : missed) {
      if (pending_.size() < maxPending_) {
        pending_.insert(user);
      } else {
        pendingOverflow_ = true;
      }
    }
  };
  if (!redis_.connected()) {
    remember(users);
    return then();
  }
  redis_.pipeline(std::move(dels), [this, alive = alive_, users = std::move(users), remember,
                                    then = std::move(then)](auto replies) {
    if (*alive && !replies) {
      remember(users);
      ready_ = false;  // until the missed invalidations are replayed
      if (redis_.connected()) reconnected();
    }
    then();
  });
}

// `done`, answered after the users' cached pages are dropped (when the write succeeded).
Done<bool> CachedGraphStore::invalidating(std::vector<std::string> users, Done<bool> done) {
  return [this, alive = alive_, users = std::move(users),
          done = std::move(done)](core::Result<bool> result) mutable {
    if (!*alive || !result) return done(std::move(result));
    invalidate(std::move(users), [result = std::move(result), done = std::move(done)]() mutable {
      done(std::move(result));
    });
  };
}

void CachedGraphStore::follow(std::string a, std::string b, bool notify, Done<bool> done) {
  auto then = invalidating({b}, std::move(done));
  inner_->follow(std::move(a), std::move(b), notify, std::move(then));
}

void CachedGraphStore::unfollow(std::string a, std::string b, Done<bool> done) {
  auto then = invalidating({b}, std::move(done));
  inner_->unfollow(std::move(a), std::move(b), std::move(then));
}

void CachedGraphStore::block(std::string a, std::string b, Done<bool> done) {
  auto then = invalidating({a, b}, std::move(done));
  inner_->block(std::move(a), std::move(b), std::move(then));
}

void CachedGraphStore::followers(std::string user, std::string cursor, uint32_t limit,
                                 Done<Page> done) {
  if (!cursor.empty()) {
    return inner_->followers(std::move(user), std::move(cursor), limit, std::move(done));
  }
  if (!usable()) {
    fallbacks_.inc();
    return inner_->followers(std::move(user), std::move(cursor), limit, std::move(done));
  }
  std::string key = cacheKey(user);
  redis_.command({"HGET", std::move(key), pageField(limit)},
                 [this, alive = alive_, user = std::move(user), limit,
                  done = std::move(done)](auto reply) mutable {
                   if (!*alive) return;
                   if (!reply) {
                     fallbacks_.inc();
                     return inner_->followers(std::move(user), "", limit, std::move(done));
                   }
                   if (reply->type == RedisValue::Type::kString) {
                     if (auto page = decodePage(reply->text)) {
                       hits_.inc();
                       return done(std::move(*page));
                     }
                   }
                   misses_.inc();
                   fromStore(std::move(user), "", limit, std::move(done));
                 });
}

void CachedGraphStore::fromStore(std::string user, std::string cursor, uint32_t limit,
                                 Done<Page> done) {
  uint64_t readEpoch = epoch_;
  std::string name = user;
  inner_->followers(std::move(user), std::move(cursor), limit,
                    [this, alive = alive_, name, limit, readEpoch,
                     done = std::move(done)](core::Result<Page> page) {
                      if (*alive && page && usable() && mayFill(name, readEpoch)) {
                        std::string key = cacheKey(name);
                        redis_.pipeline({{"HSET", key, pageField(limit), encodePage(*page)},
                                         {"EXPIRE", key, ttl_}},
                                        [](auto) {});
                      }
                      done(std::move(page));
                    });
}

// Back after an outage: replay the invalidations Redis missed before using the cache again.
void CachedGraphStore::reconnected() {
  if (pending_.empty() && !pendingOverflow_) {
    ready_ = true;
    return;
  }
  ready_ = false;
  if (pendingOverflow_) {
    pendingOverflow_ = false;
    pending_.clear();
    return flushAll();
  }
  std::vector<RedisClient::Command> dels;
  for (const auto& user : pending_) dels.push_back({"DEL", cacheKey(user)});
  pending_.clear();
  redis_.pipeline(std::move(dels), [this, alive = alive_](auto replies) {
    if (!*alive) return;
    if (replies) {
      ready_ = true;
    } else {
      pendingOverflow_ = true;  // some did not go through: flush everything next time
    }
  });
}

// Deletes every cached followers page on every master (a cluster's nodes each SCAN their own
// keys), SCAN by SCAN (never KEYS: it would block Redis), one UNLINK per key (the keys of one
// SCAN reply may hash to several slots).
void CachedGraphStore::flushAll() {
  std::vector<std::string> masters = redis_.masters();
  if (masters.empty()) {
    pendingOverflow_ = true;
    return;
  }
  auto flush = std::make_shared<Flush>();
  flush->remaining = masters.size();
  for (std::string& node : masters) flushNode(flush, std::move(node), "0");
}

void CachedGraphStore::flushNode(std::shared_ptr<Flush> flush, std::string node,
                                 std::string scanCursor) {
  auto finished = [this, flush](bool ok) {
    if (!ok) flush->failed = true;
    if (--flush->remaining > 0) return;
    if (flush->failed) {
      pendingOverflow_ = true;  // flushed again on the next reconnect
    } else {
      ready_ = true;
    }
  };
  redis_.commandOn(node,
                   {"SCAN", std::move(scanCursor), "MATCH", "social:followers:*", "COUNT",
                    std::to_string(kCacheFlushScanCount)},
                   [this, alive = alive_, flush, node, finished](auto reply) {
                     if (!*alive) return;
                     if (!reply || reply->elements.size() != 2) return finished(false);
                     std::string next = reply->elements[0].text;
                     std::vector<RedisClient::Command> unlinks;
                     for (const auto& k : reply->elements[1].elements) {
                       unlinks.push_back({"UNLINK", k.text});
                     }
                     redis_.pipeline(std::move(unlinks),
                                     [this, alive, flush, node, next, finished](auto unlinked) {
                                       if (!*alive) return;
                                       if (!unlinked) return finished(false);
                                       if (next == "0") return finished(true);
                                       flushNode(flush, node, next);
                                     });
                   });
}

}  // namespace tidecast::social::store
