// A fixed set of worker threads running tasks off the loop (transcode jobs). A task is run by
// one thread at a time; a task that still has work submits itself again, so jobs take turns.
// submit() is thread-safe. The destructor stops the threads after the tasks running finish;
// tasks still queued are dropped.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tidecast::core::transcode {

class WorkerPool {
 public:
  explicit WorkerPool(size_t threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> task);
  size_t threads() const { return threads_.size(); }
  size_t queued() const;

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tidecast::core::transcode
