#include "core/transcode/transcode_job.h"

#include <chrono>

namespace tidecast::core::transcode {

namespace {
// Encoded packets waiting for the loop, per rung and queued input frame.
constexpr size_t kOutputPerQueuedFrame = 4;
}  // namespace

TranscodeJob::TranscodeJob(std::string name, std::vector<RenditionConfig> rungs,
                           const TranscodeConfig& config, WorkerPool& pool,
                           std::function<void()> notify)
    : name_(std::move(name)),
      maxQueue_(config.maxQueueFrames),
      maxOutput_(kOutputPerQueuedFrame * config.maxQueueFrames * std::max<size_t>(rungs.size(), 1)),
      pool_(pool),
      notify_(std::move(notify)),
      pipeline_(std::make_unique<LadderPipeline>(std::move(rungs), config.encoderThreads)) {}

TranscodeJob::~TranscodeJob() = default;

void TranscodeJob::offer(const media::MediaPacketPtr& packet) {
  if (packet->track != media::TrackType::kVideo || cancelled_) return;
  if (!packet->config) counters_.framesIn.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    bool restart = packet->config || packet->keyframe;
    if (input_.size() >= maxQueue_) {
      if (!restart) {
        dropping_ = true;
        counters_.framesDropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      // Behind real time: what waits is stale; start again from this keyframe.
      uint64_t dropped = 0;
      for (const auto& queued : input_) dropped += queued->config ? 0 : 1;
      counters_.framesDropped.fetch_add(dropped, std::memory_order_relaxed);
      input_.clear();
    }
    if (dropping_ && !restart) {
      counters_.framesDropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    dropping_ = false;
    input_.push_back(packet);
    if (scheduled_) return;
    scheduled_ = true;
  }
  schedule();
}

void TranscodeJob::schedule() {
  pool_.submit([self = shared_from_this()] { self->run(); });
}

std::vector<RungOutput> TranscodeJob::takeOutput() {
  std::lock_guard lock(mutex_);
  std::vector<RungOutput> out;
  out.swap(output_);
  return out;
}

size_t TranscodeJob::queueDepth() const {
  std::lock_guard lock(mutex_);
  return input_.size();
}

std::string TranscodeJob::takeError() {
  std::lock_guard lock(mutex_);
  std::string error;
  error.swap(error_);
  return error;
}

void TranscodeJob::finish() {
  {
    std::lock_guard lock(mutex_);
    if (finishing_ || cancelled_) return;
    finishing_ = true;
    if (scheduled_) return;
    scheduled_ = true;
  }
  schedule();
}

bool TranscodeJob::finished() const {
  std::lock_guard lock(mutex_);
  return finished_ && output_.empty();
}

void TranscodeJob::cancel() {
  cancelled_ = true;
  {
    std::lock_guard lock(mutex_);
    input_.clear();
    output_.clear();
  }
  // Codec teardown (x264 threads, buffers) belongs on a worker, after any run in progress.
  pool_.submit([self = shared_from_this()] {
    std::lock_guard work(self->workMutex_);
    self->pipeline_.reset();
  });
}

void TranscodeJob::run() {
  std::deque<media::MediaPacketPtr> batch;
  bool flush = false;
  {
    std::lock_guard lock(mutex_);
    batch.swap(input_);
    flush = finishing_ && !finished_;
  }
  std::vector<RungOutput> out;
  std::string error;
  auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard work(workMutex_);
    for (const auto& packet : batch) {
      if (cancelled_ || !pipeline_) break;
      Status status = pipeline_->push(*packet, out);
      if (!status) {
        counters_.errors.fetch_add(1, std::memory_order_relaxed);
        error = status.error().code + ": " + status.error().message;
      }
      if (!packet->config) {
        int64_t pts = packet->dts + packet->cts;
        int64_t unset = -1;
        counters_.firstPtsMs.compare_exchange_strong(unset, pts);
        counters_.lastPtsMs.store(pts, std::memory_order_relaxed);
      }
    }
    // finish() came before this run took the input: all of it is in `batch`.
    if (flush && !cancelled_ && pipeline_) pipeline_->flush(out);
  }
  auto busy = std::chrono::steady_clock::now() - started;
  counters_.busyMicros.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(busy).count()),
      std::memory_order_relaxed);
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    if (!error.empty()) error_ = std::move(error);
    if (!cancelled_) {
      for (auto& item : out) {
        if (output_.size() >= maxOutput_) {
          counters_.outputDropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        output_.push_back(std::move(item));
      }
    }
    if (flush) finished_ = true;
    more = (!input_.empty() || (finishing_ && !finished_)) && !cancelled_;
    scheduled_ = more;
  }
  if (!out.empty() || flush) notify_();
  if (more) schedule();
}

}  // namespace tidecast::core::transcode
