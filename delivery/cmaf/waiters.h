// Requests held on a stream until something exists: an LL-HLS blocking playlist reload, a
// preload-hinted part, a DASH segment still being produced. Each waiter is polled after
// every change of the stream's tracks until it reports done, expires at its deadline, or is
// cancelled (its client left). Loop thread only; callbacks may park or cancel waiters.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace tidecast::delivery::cmaf {

class Waiters {
 public:
  using Id = uint64_t;
  // Returns true when the waiter is finished (it answered its request).
  using Ready = std::function<bool()>;
  using Expire = std::function<void()>;

  explicit Waiters(size_t limit) : limit_(limit) {}
  ~Waiters();
  Waiters(const Waiters&) = delete;
  Waiters& operator=(const Waiters&) = delete;

  // 0 when the limit is reached (the caller answers 503). `ready` is not called here.
  Id park(uint64_t deadlineMs, Ready ready, Expire expire);
  void cancel(Id id);
  // Calls every waiter's `ready`; drops those that are done.
  void poll();
  // Expires the waiters whose deadline is <= nowMs.
  void expire(uint64_t nowMs);
  // Expires every waiter (the stream is going away).
  void expireAll();
  size_t size() const { return waiters_.size(); }

 private:
  struct Waiter {
    uint64_t deadlineMs;
    Ready ready;
    Expire expire;
    bool active = true;
  };
  using WaiterPtr = std::shared_ptr<Waiter>;
  void expireIf(const std::function<bool(const Waiter&)>& due);
  void remove(Id id);

  size_t limit_;
  std::map<Id, WaiterPtr> waiters_;
  Id nextId_ = 1;
};

}  // namespace tidecast::delivery::cmaf
