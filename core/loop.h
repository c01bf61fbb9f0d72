// RAII wrappers for the libuv loop and the handles tidecast uses (timer, async, signal;
// tcp in core/tcp.h). All of them belong to one loop thread, except Async::send().
//
// libuv closes handles asynchronously: the handle memory must outlive uv_close() until its
// close callback runs. The wrappers own the uv struct on the heap and hand it to uv_close
// when they are destroyed; the close callback frees it. The wrapper object itself can
// therefore be destroyed at any time on the loop thread, and its callbacks are never called
// afterwards (handle->data is cleared first).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/result.h"

namespace tidecast::core {

// Something with output queued during this loop turn (a socket's coalesced writes).
class Flushable {
 public:
  virtual void flush() = 0;

 protected:
  virtual ~Flushable() = default;
};

class Loop {
 public:
  Loop();
  ~Loop();  // runs the loop until every wrapper's close callback has fired, then closes it
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  uv_loop_t* raw() { return &loop_; }
  void run() { uv_run(&loop_, UV_RUN_DEFAULT); }
  bool runOnce() { return uv_run(&loop_, UV_RUN_ONCE) != 0; }
  void stop() { uv_stop(&loop_); }
  uint64_t nowMs() const { return uv_now(&loop_); }

  // Output coalescing: a Flushable queued here is flushed once at the end of this loop turn
  // (after all I/O callbacks of the turn), so many small writes become one writev.
  void deferFlush(Flushable& target);
  // Merged writes (viewers' media): a Flushable queued here is flushed at the loop's next
  // merge tick, at most `withinMs` after the first target queued since the last tick. One
  // timer serves every target, so N viewers cost one wake-up and N writev per tick instead
  // of N per packet. cancelFlush removes a target from either list.
  void deferMergedFlush(Flushable& target, uint32_t withinMs);
  void cancelFlush(Flushable& target);

  // A buffer shared by all reads on this loop: read callbacks consume bytes synchronously.
  uv_buf_t readBuffer() { return uv_buf_init(readBuffer_.data(), readBuffer_.size()); }

 private:
  static void onCheck(uv_check_t* check);
  void flushPending();
  void flushMerged();

  uv_loop_t loop_{};
  uv_check_t check_{};
  uv_idle_t idle_{};
  std::vector<Flushable*> pendingFlush_;
  uv_timer_t mergeTimer_{};
  std::vector<Flushable*> pendingMerged_;
  std::vector<char> readBuffer_ = std::vector<char>(64 * 1024);
};

// Owns one heap-allocated libuv handle of type H and closes it safely (see file comment).
template <class H>
class UvHandle {
 public:
  UvHandle(const UvHandle&) = delete;
  UvHandle& operator=(const UvHandle&) = delete;

  // Closes the handle now; callbacks stop. Safe to call twice.
  void close() {
    if (!handle_) return;
    handle_->data = nullptr;
    auto* raw = reinterpret_cast<uv_handle_t*>(handle_.release());
    if (initialized_) {
      uv_close(raw, [](uv_handle_t* h) { std::unique_ptr<H> owned(reinterpret_cast<H*>(h)); });
    } else {
      std::unique_ptr<H> owned(reinterpret_cast<H*>(raw));
    }
  }
  bool isOpen() const { return handle_ != nullptr; }
  H* raw() { return handle_.get(); }
  Loop& loop() { return loop_; }

 protected:
  explicit UvHandle(Loop& loop) : loop_(loop), handle_(std::make_unique<H>()) {
    handle_->data = this;
  }
  ~UvHandle() { close(); }
  void markInitialized(int rc) { initialized_ = rc == 0; }

  // The wrapper behind a handle, or nullptr once it was closed.
  template <class Wrapper>
  static Wrapper* owner(void* handle) {
    // data points at the UvHandle base, which need not be at offset 0 of Wrapper.
    auto* base = static_cast<UvHandle*>(reinterpret_cast<uv_handle_t*>(handle)->data);
    return static_cast<Wrapper*>(base);
  }

 private:
  Loop& loop_;
  std::unique_ptr<H> handle_;
  bool initialized_ = false;
};

class Timer : public UvHandle<uv_timer_t> {
 public:
  explicit Timer(Loop& loop);
  // Calls `fn` after timeoutMs, then every repeatMs if non-zero. Restarting replaces `fn`.
  void start(uint64_t timeoutMs, uint64_t repeatMs, std::function<void()> fn);
  // Re-arms with the same callback and timeout (cheap: used to push back idle timeouts).
  void restart(uint64_t timeoutMs);
  void stop();

 private:
  std::function<void()> fn_;
};

// Wakes the loop from another thread. send() is the only thread-safe call in this file;
// several sends may coalesce into one callback.
class Async : public UvHandle<uv_async_t> {
 public:
  Async(Loop& loop, std::function<void()> fn);
  void send() { uv_async_send(raw()); }

 private:
  std::function<void()> fn_;
};

class Signal : public UvHandle<uv_signal_t> {
 public:
  explicit Signal(Loop& loop);
  Status start(int signum, std::function<void(int)> fn);

 private:
  std::function<void(int)> fn_;
};

// Watches a socket someone else owns (libcurl's) for readability/writability. Stop it, or
// destroy it, before that socket is closed.
class Poll : public UvHandle<uv_poll_t> {
 public:
  // UV_EBADF-style errors come back as a Status; the handle is then unusable.
  Poll(Loop& loop, int fd);
  bool valid() const { return initRc_ == 0; }
  // events: UV_READABLE | UV_WRITABLE; fn(status, events) on each readiness.
  Status start(int events, std::function<void(int status, int events)> fn);
  void stop();

 private:
  int initRc_ = 0;
  std::function<void(int, int)> fn_;
};

// Turns a libuv error number into an Error with its name and message.
Error uvError(const char* what, int rc);

}  // namespace tidecast::core
