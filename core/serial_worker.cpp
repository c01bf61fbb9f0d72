#include "core/serial_worker.h"

namespace tidecast::core {

struct SerialWorker::Job {
  uv_work_t req{};
  SerialWorker* worker;
  std::shared_ptr<bool> alive;
  std::function<void()> work;
  std::function<void()> done;
};

void SerialWorker::post(std::function<void()> work, std::function<void()> done) {
  queue_.emplace_back(std::move(work), std::move(done));
  if (!running_) startNext();
}

void SerialWorker::startNext() {
  // A `done` that posted starts the next job itself: never a second one beside it.
  if (running_ || queue_.empty()) return;
  auto job = std::make_unique<Job>();
  job->worker = this;
  job->alive = alive_;
  job->work = std::move(queue_.front().first);
  job->done = std::move(queue_.front().second);
  queue_.pop_front();
  job->req.data = job.get();
  int rc = uv_queue_work(
      loop_.raw(), &job->req, [](uv_work_t* req) { static_cast<Job*>(req->data)->work(); },
      [](uv_work_t* req, int) {
        std::unique_ptr<Job> finished(static_cast<Job*>(req->data));
        if (!*finished->alive) return;
        SerialWorker* worker = finished->worker;
        worker->running_ = false;
        if (finished->done) finished->done();
        // `done` may have destroyed the worker.
        if (*finished->alive) worker->startNext();
      });
  if (rc != 0) {
    job->work();  // no thread pool: run inline rather than lose the job
    std::shared_ptr<bool> alive = alive_;
    if (job->done) job->done();
    if (*alive) startNext();
    return;
  }
  running_ = true;
  (void)job.release();  // owned by libuv until the after-work callback
}

}  // namespace tidecast::core
