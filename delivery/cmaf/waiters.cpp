#include "delivery/cmaf/waiters.h"

#include <vector>

namespace tidecast::delivery::cmaf {

Waiters::~Waiters() = default;

Waiters::Id Waiters::park(uint64_t deadlineMs, Ready ready, Expire expire) {
  if (waiters_.size() >= limit_) return 0;
  Id id = nextId_++;
  waiters_.emplace(
      id, std::make_shared<Waiter>(Waiter{deadlineMs, std::move(ready), std::move(expire)}));
  return id;
}

void Waiters::remove(Id id) {
  auto it = waiters_.find(id);
  if (it == waiters_.end()) return;
  it->second->active = false;
  waiters_.erase(it);
}

void Waiters::cancel(Id id) { remove(id); }

void Waiters::poll() {
  // A snapshot: callbacks may cancel or park waiters; those parked now are not visited.
  std::vector<std::pair<Id, WaiterPtr>> snapshot(waiters_.begin(), waiters_.end());
  for (auto& [id, waiter] : snapshot) {
    if (waiter->active && waiter->ready()) remove(id);
  }
}

void Waiters::expireIf(const std::function<bool(const Waiter&)>& due) {
  std::vector<std::pair<Id, WaiterPtr>> expired;
  for (const auto& [id, waiter] : waiters_) {
    if (due(*waiter)) expired.emplace_back(id, waiter);
  }
  for (auto& [id, waiter] : expired) {
    if (!waiter->active) continue;
    remove(id);
    if (waiter->expire) waiter->expire();
  }
}

void Waiters::expire(uint64_t nowMs) {
  expireIf([nowMs](const Waiter& w) { return w.deadlineMs <= nowMs; });
}

void Waiters::expireAll() {
  expireIf([](const Waiter&) { return true; });
}

}  // namespace tidecast::delivery::cmaf
