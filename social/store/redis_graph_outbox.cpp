// RedisGraphStore's outbox dispatcher and sweeper (the writes are in redis_graph_store.cpp).
// One user's round: take the lease (SET NX PX), read up to dispatchBatch entries, apply their
// other sides in one pipeline (idempotent: add to / remove from the other's followers buckets
// at the entry's position, SADD/SREM blockedby:{other}, kBlocked), hand the events to the
// sink, trim them (kAck, fenced by the lease). Loop thread only.
#include <algorithm>
#include <charconv>
#include <optional>

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

// The kinds of outbox entry, as the write scripts spell them (redis_graph_scripts.h).
enum class RedisGraphStore::EntryKind {
  kFollowed,    // 'f': add the user to the other's followers
  kUnfollowed,  // 'u': remove the user from the other's followers (position: the removed edge)
  kBlocked,     // 'b': the other side of a block (blockedby, the other's follow of the user)
  kUnblocked,   // 'n': remove the user from the other's blockedby
};

struct RedisGraphStore::Entry {
  uint64_t id = 0;
  EntryKind kind = EntryKind::kFollowed;
  std::string other;
  std::string position;
  bool notify = true;

  // "id|kind|other|position|notify"; nullopt for what this node does not understand.
  static std::optional<Entry> parse(std::string_view item) {
    auto parts = split(item, '|');
    if (parts.size() != 5) return std::nullopt;
    std::optional<EntryKind> kind;
    if (parts[1] == "f") kind = EntryKind::kFollowed;
    if (parts[1] == "u") kind = EntryKind::kUnfollowed;
    if (parts[1] == "b") kind = EntryKind::kBlocked;
    if (parts[1] == "n") kind = EntryKind::kUnblocked;
    if (!kind) return std::nullopt;
    return Entry{number(parts[0]), *kind, std::string(parts[2]), std::string(parts[3]),
                 parts[4] == "1"};
  }
};

// What one round of one user's dispatch read, shared by the round's stages.
struct RedisGraphStore::Batch {
  std::string user;
  std::vector<Entry> entries;  // the entries this node understands, in order
  size_t taken = 0;            // list items read (trimmed at the end, understood or not)

  size_t blockedCount() const {
    return static_cast<size_t>(std::count_if(entries.begin(), entries.end(), [](const Entry& e) {
      return e.kind == EntryKind::kBlocked;
    }));
  }
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

// ---- a round: read -> mark -> apply -> ack -> next ---------------------------------------
// Each stage sends its commands and hands the replies to the next; an error ends the round
// (finish) and leaves the entries for a later round or the sweeper.

void RedisGraphStore::round(const std::string& user) {
  Command read{"LRANGE", outboxKey(user), "0", std::to_string(outbox_.dispatchBatch - 1)};
  redis_.command(std::move(read), [this, alive = alive_, user](core::Result<RedisValue> reply) {
    if (*alive) onRead(user, reply);
  });
}

void RedisGraphStore::onRead(const std::string& user, const core::Result<RedisValue>& reply) {
  if (!reply) return finish(user);
  if (reply->elements.empty()) return releaseLease(user);
  auto batch = std::make_shared<Batch>();
  batch->user = user;
  batch->taken = reply->elements.size();
  for (const auto& item : reply->elements) {
    std::optional<Entry> entry = Entry::parse(item.text);
    if (entry) batch->entries.push_back(std::move(*entry));  // else not ours: trimmed unread
  }
  mark(batch);
}

// The outbox is empty: give the lease back. A write answered meanwhile may have appended after
// the read: look again.
void RedisGraphStore::releaseLease(const std::string& user) {
  Dispatch& state = dispatching_.at(user);
  redis_.command({"EVAL", std::string(scripts::kRelease), "1", leaseKey(user), state.token},
                 [](auto) {});
  state.again ? acquire(user) : finish(user);
}

// A blocked entry's other side writes to that user's own keys and outbox (its follow of the
// blocker becomes an unfollow entry): mark that user pending and take the entry's event id
// first, as a write does (kMark -> {markMs, id}).
void RedisGraphStore::mark(const std::shared_ptr<Batch>& batch) {
  std::vector<Command> marks;
  for (const Entry& e : batch->entries) {
    if (e.kind != EntryKind::kBlocked) continue;
    marks.push_back({"EVAL", std::string(scripts::kMark), "2", pendingKey(), idsKey(), e.other});
  }
  redis_.pipeline(std::move(marks), [this, alive = alive_,
                                     batch](const core::Result<std::vector<RedisValue>>& marked) {
    if (*alive) apply(batch, marked);
  });
}

// Each entry's other side, idempotently, in one pipeline.
void RedisGraphStore::apply(const std::shared_ptr<Batch>& batch,
                            const core::Result<std::vector<RedisValue>>& marked) {
  const std::string& user = batch->user;
  if (!marked || marked->size() != batch->blockedCount()) return finish(user);
  std::vector<Command> commands;
  size_t m = 0;
  for (const Entry& e : batch->entries) {
    switch (e.kind) {
      case EntryKind::kFollowed:
      case EntryKind::kUnfollowed:
        commands.push_back({"EVAL",
                            std::string(e.kind == EntryKind::kFollowed ? scripts::kFollowersAdd
                                                                       : scripts::kFollowersRemove),
                            "3", followersKey(e.other), followersIndexKey(e.other),
                            followersCountKey(e.other), e.position, user,
                            std::to_string(layout_.followersBucket)});
        break;
      case EntryKind::kBlocked: {
        const auto& mark = (*marked)[m++].elements;
        if (mark.size() != 2) return finish(user);
        commands.push_back({"EVAL", std::string(scripts::kBlocked), "4", blockedByKey(e.other),
                            followingKey(e.other), mutedKey(e.other), outboxKey(e.other), user,
                            std::to_string(integerOf(mark[1])), std::to_string(integerOf(mark[0])),
                            std::to_string(outbox_.graceMs / 2)});
        break;
      }
      case EntryKind::kUnblocked:
        commands.push_back({"SREM", blockedByKey(e.other), user});
        break;
    }
  }
  redis_.pipeline(std::move(commands), [this, alive = alive_, batch](
                                           const core::Result<std::vector<RedisValue>>& applied) {
    if (*alive) ack(batch, applied);
  });
}

// Applied: hand the events to the sink, then trim what was read (fenced by the lease).
void RedisGraphStore::ack(const std::shared_ptr<Batch>& batch,
                          const core::Result<std::vector<RedisValue>>& applied) {
  const std::string& user = batch->user;
  if (!applied) return finish(user);
  for (const RedisValue& v : *applied) {
    if (v.type == RedisValue::Type::kInteger && v.integer == scripts::kRefusedLate) {
      return finish(user);  // retried by a later round
    }
  }
  auto alive = alive_;
  deliver(*batch);
  if (!*alive) return;  // the sink destroyed the store: nothing is trimmed
  Command trim{"EVAL",
               std::string(scripts::kAck),
               "2",
               leaseKey(user),
               outboxKey(user),
               dispatching_.at(user).token,
               std::to_string(batch->taken),
               std::to_string(outbox_.leaseMs)};
  redis_.command(std::move(trim), [this, alive, batch](core::Result<RedisValue> left) {
    if (*alive) next(batch, std::move(left));
  });
}

// Trimmed: the blocked sides' own outboxes (their unfollow of this user) are dispatched now,
// not joined (two users blocking each other would wait on each other); once they are done,
// another round while entries are left, or the end of this dispatch.
void RedisGraphStore::next(const std::shared_ptr<Batch>& batch, core::Result<RedisValue> left) {
  auto pendingTargets = std::make_shared<size_t>(1);
  auto afterTargets = [this, alive = alive_, batch, left = std::move(left), pendingTargets] {
    if (!*alive || --*pendingTargets > 0) return;
    const std::string& user = batch->user;
    if (!left || integerOf(*left) < 0) return finish(user);  // lease lost: theirs now
    if (integerOf(*left) > 0) return round(user);
    if (dispatching_.at(user).again) return acquire(user);
    finish(user);
  };
  for (const Entry& e : batch->entries) {
    if (e.kind != EntryKind::kBlocked) continue;
    ++*pendingTargets;
    dispatch(e.other, afterTargets, false);
  }
  afterTargets();
}

void RedisGraphStore::deliver(const Batch& batch) {
  auto alive = alive_;
  for (const Entry& e : batch.entries) {
    if (e.kind != EntryKind::kFollowed && e.kind != EntryKind::kUnfollowed) continue;
    core::Event event;
    event.type = std::string(e.kind == EntryKind::kFollowed ? kFollowedEvent : kUnfollowedEvent);
    event.id = e.id;
    event.payload = followEventPayload(batch.user, e.other, e.notify);
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
