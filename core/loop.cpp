#include "core/loop.h"

#include <algorithm>
#include <string>

namespace tidecast::core {

Loop::Loop() {
  uv_loop_init(&loop_);
  uv_check_init(&loop_, &check_);
  uv_idle_init(&loop_, &idle_);
  uv_timer_init(&loop_, &mergeTimer_);
  check_.data = this;
  mergeTimer_.data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_));
}

Loop::~Loop() {
  uv_close(reinterpret_cast<uv_handle_t*>(&check_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&mergeTimer_), nullptr);
  // Let pending close callbacks (wrappers destroyed before the loop) free their handles.
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) == UV_EBUSY) {
    // A wrapper outlived its loop: close what is left rather than leak the loop.
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
          if (!uv_is_closing(h)) uv_close(h, nullptr);
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
}

void Loop::deferFlush(Flushable& target) {
  if (pendingFlush_.empty()) {
    uv_check_start(&check_, &Loop::onCheck);
    // An active idle handle makes this turn's poll non-blocking, so the check phase that
    // flushes runs right away even when the write was queued from a timer callback.
    uv_idle_start(&idle_, [](uv_idle_t*) {});
  }
  pendingFlush_.push_back(&target);
}

void Loop::deferMergedFlush(Flushable& target, uint32_t withinMs) {
  if (pendingMerged_.empty()) {
    uv_timer_start(
        &mergeTimer_, [](uv_timer_t* t) { static_cast<Loop*>(t->data)->flushMerged(); }, withinMs,
        0);
  }
  pendingMerged_.push_back(&target);
}

void Loop::cancelFlush(Flushable& target) {
  if (!pendingMerged_.empty()) {
    std::erase(pendingMerged_, &target);
    if (pendingMerged_.empty()) uv_timer_stop(&mergeTimer_);
  }
  std::erase(pendingFlush_, &target);
  if (pendingFlush_.empty()) {
    uv_check_stop(&check_);
    uv_idle_stop(&idle_);
  }
}

void Loop::flushMerged() {
  std::vector<Flushable*> batch;
  batch.swap(pendingMerged_);
  for (Flushable* target : batch) target->flush();
}

void Loop::onCheck(uv_check_t* check) { static_cast<Loop*>(check->data)->flushPending(); }

void Loop::flushPending() {
  // Flushing may queue more (a write completing synchronously frees room); take a snapshot.
  std::vector<Flushable*> batch;
  batch.swap(pendingFlush_);
  uv_check_stop(&check_);
  uv_idle_stop(&idle_);
  for (Flushable* target : batch) target->flush();
}

Timer::Timer(Loop& loop) : UvHandle(loop) { markInitialized(uv_timer_init(loop.raw(), raw())); }

void Timer::start(uint64_t timeoutMs, uint64_t repeatMs, std::function<void()> fn) {
  fn_ = std::move(fn);
  uv_timer_start(
      raw(),
      [](uv_timer_t* t) {
        auto* self = owner<Timer>(t);
        if (!self) return;
        // The callback may destroy the Timer's owner (a timeout closing a connection), so it
        // runs from a local; the handle memory itself lives until its close callback.
        auto running = std::move(self->fn_);
        running();
        if (t->data != nullptr && !self->fn_) self->fn_ = std::move(running);
      },
      timeoutMs, repeatMs);
}

void Timer::restart(uint64_t timeoutMs) {
  uv_timer_stop(raw());
  start(timeoutMs, 0, std::move(fn_));
}

void Timer::stop() {
  if (isOpen()) uv_timer_stop(raw());
}

Async::Async(Loop& loop, std::function<void()> fn) : UvHandle(loop), fn_(std::move(fn)) {
  markInitialized(uv_async_init(loop.raw(), raw(), [](uv_async_t* a) {
    if (auto* self = owner<Async>(a)) self->fn_();
  }));
}

Poll::Poll(Loop& loop, int fd) : UvHandle(loop) {
  initRc_ = uv_poll_init_socket(loop.raw(), raw(), fd);
  markInitialized(initRc_);
}

Status Poll::start(int events, std::function<void(int, int)> fn) {
  if (initRc_ != 0) return uvError("uv_poll_init_socket", initRc_);
  fn_ = std::move(fn);
  int rc = uv_poll_start(raw(), events, [](uv_poll_t* p, int status, int ready) {
    auto* self = owner<Poll>(p);
    if (!self) return;
    auto callback = self->fn_;  // it may destroy this Poll
    callback(status, ready);
  });
  if (rc != 0) return uvError("uv_poll_start", rc);
  return {};
}

void Poll::stop() {
  if (isOpen() && initRc_ == 0) uv_poll_stop(raw());
}

Signal::Signal(Loop& loop) : UvHandle(loop) { markInitialized(uv_signal_init(loop.raw(), raw())); }

Status Signal::start(int signum, std::function<void(int)> fn) {
  fn_ = std::move(fn);
  int rc = uv_signal_start(
      raw(),
      [](uv_signal_t* s, int sig) {
        if (auto* self = owner<Signal>(s)) self->fn_(sig);
      },
      signum);
  if (rc != 0) return uvError("uv_signal_start", rc);
  // Signal watchers alone must not keep the loop running.
  uv_unref(reinterpret_cast<uv_handle_t*>(raw()));
  return {};
}

Error uvError(const char* what, int rc) {
  return Error{std::string("uv.") + uv_err_name(rc), std::string(what) + ": " + uv_strerror(rc)};
}

}  // namespace tidecast::core
