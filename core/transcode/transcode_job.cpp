#include "core/transcode/transcode_job.h"

#include <chrono>

namespace tidecast::core::transcode {

namespace {
// Encoded packets waiting for the loop, per rung and queued input frame.
constexpr size_t kOutputPerQueuedFrame = 4;
// Audio packets waiting per job, per queued video frame allowed (Opus: 50 packets/s).
constexpr size_t kAudioPerQueuedFrame = 4;
}  // namespace

TranscodeJob::TranscodeJob(std::string name, std::vector<RenditionConfig> rungs,
                           const TranscodeConfig& config, WorkerPool& pool,
                           std::function<void()> notify)
    : name_(std::move(name)),
      maxQueue_(config.maxQueueFrames),
      maxAudioQueue_(kAudioPerQueuedFrame * config.maxQueueFrames),
      maxOutput_(kOutputPerQueuedFrame * config.maxQueueFrames * std::max<size_t>(rungs.size(), 1) +
                 maxAudioQueue_),
      pool_(pool),
      notify_(std::move(notify)),
      pipeline_(std::make_unique<LadderPipeline>(std::move(rungs), config.encoderThreads)),
      audio_(std::make_unique<AudioTranscoder>(config.audioBitrate)) {}

TranscodeJob::~TranscodeJob() = default;

void TranscodeJob::offer(const media::MediaPacketPtr& packet) {
  if (cancelled_) return;
  if (packet->track == media::TrackType::kAudio) return offerAudio(packet);
  if (packet->track != media::TrackType::kVideo) return;
  if (!packet->config) counters_.framesIn.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    bool restart = packet->config || packet->keyframe;
    if (input_.size() - queuedAudio_ >= maxQueue_) {
      if (!restart) {
        dropping_ = true;
        counters_.framesDropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      // Behind real time: the video that waits is stale; start again from this keyframe.
      uint64_t dropped = 0;
      for (const auto& queued : input_) {
        dropped += queued->track == media::TrackType::kVideo && !queued->config ? 1 : 0;
      }
      counters_.framesDropped.fetch_add(dropped, std::memory_order_relaxed);
      std::erase_if(input_, [](const media::MediaPacketPtr& queued) {
        return queued->track == media::TrackType::kVideo;
      });
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

void TranscodeJob::offerAudio(const media::MediaPacketPtr& packet) {
  if (!AudioTranscoder::needsTranscode(packet->codec) || packet->endOfSequence) return;
  if (!packet->config) counters_.audioIn.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard lock(mutex_);
    // Configurations count too: a publisher repeating them cannot grow the queue.
    if (queuedAudio_ >= maxAudioQueue_) {
      counters_.audioDropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    input_.push_back(packet);
    ++queuedAudio_;
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
  return input_.size() - queuedAudio_;
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
    queuedAudio_ = 0;
    output_.clear();
  }
  // Codec teardown (x264 threads, buffers) belongs on a worker, after any run in progress.
  pool_.submit([self = shared_from_this()] {
    std::lock_guard work(self->workMutex_);
    self->pipeline_.reset();
    self->audio_.reset();
  });
}

// ---- a run (worker thread): takeInput -> transcodeBatch -> drain -> handOver ---------------

struct TranscodeJob::Input {
  std::deque<media::MediaPacketPtr> packets;
  bool drain = false;  // finish() came before this run took the input: all of it is here
};

struct TranscodeJob::Produced {
  std::vector<RungOutput> out;
  std::vector<media::MediaPacketPtr> audio;  // AAC from audio_, before it joins `out`
  std::string error;                         // the last failure, "" if none
};

void TranscodeJob::run() {
  Input input = takeInput();
  Produced produced;
  auto started = std::chrono::steady_clock::now();
  {
    std::lock_guard work(workMutex_);
    transcodeBatch(input.packets, produced);
    if (input.drain) drain(produced);
  }
  auto busy = std::chrono::steady_clock::now() - started;
  counters_.busyMicros.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(busy).count()),
      std::memory_order_relaxed);
  bool notify = !produced.out.empty() || input.drain;
  bool more = handOver(std::move(produced), input.drain);
  if (notify) notify_();
  if (more) schedule();
}

TranscodeJob::Input TranscodeJob::takeInput() {
  std::lock_guard lock(mutex_);
  Input input;
  input.packets.swap(input_);
  queuedAudio_ = 0;
  input.drain = finishing_ && !finished_;
  return input;
}

// Video through the ladder, audio through the AAC encoder, in arrival order. A packet that
// fails counts as an error and the run goes on.
void TranscodeJob::transcodeBatch(const std::deque<media::MediaPacketPtr>& packets,
                                  Produced& produced) {
  for (const auto& packet : packets) {
    if (cancelled_ || !pipeline_ || !audio_) break;
    const bool audio = packet->track == media::TrackType::kAudio;
    Status status =
        audio ? audio_->push(*packet, produced.audio) : pipeline_->push(*packet, produced.out);
    addAudio(produced);
    if (!status) {
      counters_.errors.fetch_add(1, std::memory_order_relaxed);
      produced.error = status.error().code + ": " + status.error().message;
    }
    if (!audio && !packet->config) {
      int64_t pts = packet->dts + packet->cts;
      int64_t unset = -1;
      counters_.firstPtsMs.compare_exchange_strong(unset, pts);
      counters_.lastPtsMs.store(pts, std::memory_order_relaxed);
    }
  }
}

// The source ended: what the encoders still hold.
void TranscodeJob::drain(Produced& produced) {
  if (cancelled_ || !pipeline_ || !audio_) return;
  pipeline_->flush(produced.out);
  audio_->flush(produced.audio);
  addAudio(produced);
}

// Every rung carries the one AAC track.
void TranscodeJob::addAudio(Produced& produced) {
  for (auto& packet : produced.audio) {
    if (!packet->config) counters_.audioOut.fetch_add(1, std::memory_order_relaxed);
    produced.out.push_back({RungOutput::kEveryRung, std::move(packet)});
  }
  produced.audio.clear();
}

// Queues the output for the loop (bounded: past maxOutput_ it is dropped and counted) and
// says whether another run is needed (input arrived meanwhile, or finish() after the take).
bool TranscodeJob::handOver(Produced produced, bool drained) {
  std::lock_guard lock(mutex_);
  if (!produced.error.empty()) error_ = std::move(produced.error);
  if (!cancelled_) {
    for (auto& item : produced.out) {
      if (output_.size() >= maxOutput_) {
        counters_.outputDropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      output_.push_back(std::move(item));
    }
  }
  if (drained) finished_ = true;
  bool more = (!input_.empty() || (finishing_ && !finished_)) && !cancelled_;
  scheduled_ = more;
  return more;
}

}  // namespace tidecast::core::transcode
