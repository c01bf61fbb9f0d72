// SerialWorker runs one job at a time, in order, even when a job's `done` posts more jobs
// (the bug this guards against: a `done` that posted twice started two jobs side by side).
#include "core/serial_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace tidecast::core {
namespace {

TEST(SerialWorker, JobsPostedFromDoneNeverRunSideBySide) {
  Loop loop;
  SerialWorker worker(loop);
  std::atomic<int> running{0};
  std::atomic<int> maxRunning{0};
  std::vector<int> order;  // pool threads, one after another: each job follows the last's done
  int finished = 0;        // loop thread: counted by each job's `done`
  auto done = [&] { ++finished; };
  auto job = [&](int id) {
    return [&, id] {
      int now = ++running;
      maxRunning = std::max(maxRunning.load(), now);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      order.push_back(id);
      --running;
    };
  };
  worker.post(job(0), [&] {
    ++finished;
    worker.post(job(1), done);
    worker.post(job(2), done);
    worker.post(job(3), done);
  });
  // `order` is read only once every `done` ran: a job's `done` comes after its work.
  while (finished < 4) uv_run(loop.raw(), UV_RUN_ONCE);
  EXPECT_EQ(maxRunning.load(), 1);
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace tidecast::core
