// RedisGraphStore's outbox dispatcher and sweeper (the writes are in redis_graph_store.cpp).
// One user's round: take the lease (SET NX PX), read up to dispatchBatch entries, apply their
// other sides in one pipeline (idempotent: add to / remove from the other's followers buckets
// at the entry's position, SADD/SREM blockedby:{other}, kBlocked), hand the events to the
// sink, trim them (kAck, fenced by the lease). Loop thread only.
#include <charconv>

#include "social/store/redis_graph_scripts.h"
#include "social/store/redis_graph_store.h"

namespace tidecast::social::store {

namespace {

using Command = RedisClient::Command;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

uint64_t number(std::string_view text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

struct RedisGraphStore::Entry {
  uint64_t id = 0;
  char kind = 0;  // f, u, b, n (redis_graph_scripts.h)
  std::string other;
  std::string position;
  bool notify = true;
};

void RedisGraphStore::setEventSink(std::function<void(const core::Event&)> sink) {
  sink_ = std::move(sink);
  if (!sink_) return;
  auto unsent = std::move(unsent_);
  unsent_.clear();
  for (const auto& user : unsent) dispatch(user, nullptr, false);
  sweepTimer_.start(0, outbox_.sweepIntervalMs, [this] { sweep(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(sweepTimer_.raw()));
}

void RedisGraphStore::dispatch(const std::string& user, std::function<void()> after, bool join) {
  if (!sink_) {
    if (unsent_.size() < outbox_.maxUnsent) unsent_.insert(user);  // else: the sweeper's
    if (after) after();
    return;
  }
  auto running = dispatching_.find(user);
  if (running != dispatching_.end()) {
    running->second.again = true;
    if (after && join) {
      running->second.waiters.push_back(std::move(after));
    } else if (after) {
      after();
    }
    return;
  }
  Dispatch& state = dispatching_[user];
  if (after) state.waiters.push_back(std::move(after));
  acquire(user);
}

void RedisGraphStore::acquire(const std::string& user) {
  Dispatch& state = dispatching_.at(user);
  state.again = false;
  state.token = node_ + ":" + std::to_string(++rounds_);
  redis_.command({"SET", leaseKey(user), state.token, "NX", "PX", std::to_string(outbox_.leaseMs)},
                 [this, alive = alive_, user](auto reply) {
                   if (!*alive) return;
                   // Held elsewhere: that node (or, once it lapses, a sweep) dispatches.
                   if (!reply || reply->isNil()) return finish(user);
                   round(user);
                 });
}

void RedisGraphStore::round(const std::string& user) {
  Command read{"LRANGE", outboxKey(user), "0", std::to_string(outbox_.dispatchBatch - 1)};
  redis_.command(std::move(read), [this, alive = alive_, user](auto reply) {
    if (!*alive) return;
    if (!reply) return finish(user);
    auto entries = std::make_shared<std::vector<Entry>>();
    for (const auto& item : reply->elements) {
      auto parts = split(item.text, '|');
      if (parts.size() != 5 || parts[1].size() != 1) continue;  // not ours: trimmed unread
      entries->push_back(Entry{number(parts[0]), parts[1][0], std::string(parts[2]),
                               std::string(parts[3]), parts[4] == "1"});
    }
    if (reply->elements.empty()) {
      Dispatch& state = dispatching_.at(user);
      redis_.command({"EVAL", std::string(scripts::kRelease), "1", leaseKey(user), state.token},
                     [](auto) {});
      // A write answered meanwhile may have appended after this read: look again.
      return state.again ? acquire(user) : finish(user);
    }
    // Entries that are not ours still count when trimming.
    size_t taken = reply->elements.size();
    std::vector<Command> marks;
    for (const Entry& e : *entries) {
      if (e.kind == 'b') {
        marks.push_back(
            {"EVAL", std::string(scripts::kMark), "2", pendingKey(), idsKey(), e.other});
      }
    }
    redis_.pipeline(std::move(marks), [this, alive, user, entries,
                                       taken](core::Result<std::vector<RedisValue>> marked) {
      if (!*alive) return;
      if (!marked) return finish(user);
      std::vector<Command> apply;
      size_t m = 0;
      for (const Entry& e : *entries) {
        switch (e.kind) {
          case 'f':
          case 'u':
            apply.push_back(
                {"EVAL",
                 std::string(e.kind == 'f' ? scripts::kFollowersAdd : scripts::kFollowersRemove),
                 "3", followersKey(e.other), followersIndexKey(e.other), followersCountKey(e.other),
                 e.position, user, std::to_string(layout_.followersBucket)});
            break;
          case 'b': {
            const auto& mark = (*marked)[m++].elements;
            if (mark.size() != 2) return finish(user);
            apply.push_back({"EVAL", std::string(scripts::kBlocked), "4", blockedByKey(e.other),
                             followingKey(e.other), mutedKey(e.other), outboxKey(e.other), user,
                             std::to_string(integerOf(mark[1])), std::to_string(integerOf(mark[0])),
                             std::to_string(outbox_.graceMs / 2)});
            break;
          }
          case 'n':
            apply.push_back({"SREM", blockedByKey(e.other), user});
            break;
          default:
            break;
        }
      }
      redis_.pipeline(std::move(apply), [this, alive, user, entries,
                                         taken](core::Result<std::vector<RedisValue>> applied) {
        if (!*alive) return;
        if (!applied) return finish(user);
        for (const RedisValue& v : *applied) {
          if (v.type == RedisValue::Type::kInteger && v.integer == scripts::kRefusedLate) {
            return finish(user);  // retried by a later round
          }
        }
        deliver(user, entries);
        if (!*alive) return;  // the sink destroyed the store: nothing is trimmed
        const std::string& token = dispatching_.at(user).token;
        Command ack{"EVAL",
                    std::string(scripts::kAck),
                    "2",
                    leaseKey(user),
                    outboxKey(user),
                    token,
                    std::to_string(taken),
                    std::to_string(outbox_.leaseMs)};
        redis_.command(std::move(ack), [this, alive, user, entries](auto left) {
          if (!*alive) return;
          // The blocked sides' own unfollowed entries: dispatched now (not joined: two users
          // blocking each other would wait on each other).
          auto pendingTargets = std::make_shared<size_t>(1);
          auto next = [this, alive, user, left = std::move(left), pendingTargets]() {
            if (!*alive || --*pendingTargets > 0) return;
            if (!left || integerOf(*left) < 0) return finish(user);  // lease lost: theirs now
            if (integerOf(*left) > 0) return round(user);
            Dispatch& state = dispatching_.at(user);
            if (state.again) return acquire(user);
            finish(user);
          };
          for (const Entry& e : *entries) {
            if (e.kind != 'b') continue;
            ++*pendingTargets;
            dispatch(e.other, next, false);
          }
          next();
        });
      });
    });
  });
}

void RedisGraphStore::deliver(const std::string& user,
                              std::shared_ptr<std::vector<Entry>> entries) {
  auto alive = alive_;
  for (const Entry& e : *entries) {
    if (e.kind != 'f' && e.kind != 'u') continue;
    core::Event event;
    event.type = std::string(e.kind == 'f' ? kFollowedEvent : kUnfollowedEvent);
    event.id = e.id;
    event.payload = followEventPayload(user, e.other, e.notify);
    sink_(event);
    if (!*alive) return;
    ++delivered_;
  }
}

void RedisGraphStore::finish(const std::string& user) {
  auto found = dispatching_.find(user);
  if (found == dispatching_.end()) return;
  auto waiters = std::move(found->second.waiters);
  dispatching_.erase(found);
  auto alive = alive_;
  for (auto& waiter : waiters) {
    waiter();
    if (!*alive) return;
  }
}

// Users marked pending longer than graceMs ago: an empty outbox just drops the mark (unless
// marked again since), a non-empty one is dispatched (a crashed writer or dispatcher, or a
// round that failed). A full batch continues at once.
void RedisGraphStore::sweep() {
  if (sweeping_ || !sink_ || !redis_.connected()) return;
  sweeping_ = true;
  Command find{"EVAL",       std::string(scripts::kSweep),    "1",
               pendingKey(), std::to_string(outbox_.graceMs), std::to_string(outbox_.sweepBatch)};
  redis_.command(std::move(find), [this, alive = alive_](auto reply) {
    if (!*alive) return;
    if (!reply || reply->elements.size() != 2) {
      sweeping_ = false;
      return;
    }
    pendingUsers_ = static_cast<uint64_t>(integerOf(reply->elements[0]));
    auto found = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    const auto& list = reply->elements[1].elements;
    for (size_t i = 0; i + 1 < list.size(); i += 2)
      found->emplace_back(list[i].text, list[i + 1].text);
    std::vector<Command> lengths;
    for (const auto& [user, mark] : *found) lengths.push_back({"LLEN", outboxKey(user)});
    redis_.pipeline(std::move(lengths), [this, alive, found](auto sizes) {
      if (!*alive) return;
      if (!sizes) {
        sweeping_ = false;
        return;
      }
      std::vector<Command> clean;
      for (size_t i = 0; i < found->size(); ++i) {
        const auto& [user, mark] = (*found)[i];
        if (integerOf((*sizes)[i]) > 0) {
          dispatch(user, nullptr, false);
        } else {
          clean.push_back({"EVAL", std::string(scripts::kClean), "1", pendingKey(), user, mark});
        }
      }
      // A full batch continues at once while it makes progress (drops marks); users whose
      // outbox waits for a lapsing lease are looked at again next tick.
      bool more = found->size() == outbox_.sweepBatch && !clean.empty();
      redis_.pipeline(std::move(clean), [this, alive, more](auto) {
        if (!*alive) return;
        sweeping_ = false;
        if (more) sweep();
      });
    });
  });
}

}  // namespace tidecast::social::store
