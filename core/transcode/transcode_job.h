// One source stream's transcoding, shared by the loop (which feeds it and takes what it
// produced) and the worker threads (which run its LadderPipeline, one at a time). Both queues
// are bounded: when the workers fall behind, incoming frames are dropped up to the next
// keyframe (a keyframe arriving at a full queue replaces the frames waiting), so memory never
// grows and every rendition still gets every keyframe, the segment boundaries.
//
// Audio that is not AAC goes through the same queue, in arrival order, to the job's
// AudioTranscoder (one AAC encode for every rung, output as RungOutput::kEveryRung). It has a
// bound of its own and survives a video restart (cheap to keep up with, never skipped for the
// video's sake). AAC audio is not the job's: the variants use the source's track as it is.
//
// Thread-safe as documented per function. Owned through shared_ptr: a worker running the job
// keeps it alive past the loop's release.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/media/media_packet.h"
#include "core/transcode/audio_transcoder.h"
#include "core/transcode/ladder_pipeline.h"
#include "core/transcode/transcode_config.h"
#include "core/transcode/worker_pool.h"

namespace tidecast::core::transcode {

struct JobCounters {
  std::atomic<uint64_t> framesIn{0};       // source video frames offered
  std::atomic<uint64_t> framesDropped{0};  // dropped before decoding (queue full)
  std::atomic<uint64_t> audioIn{0};        // source audio frames offered (transcoded codecs)
  std::atomic<uint64_t> audioDropped{0};   // audio packets dropped (audio queue full)
  std::atomic<uint64_t> audioOut{0};       // AAC frames encoded (for every rung at once)
  std::atomic<uint64_t> outputDropped{0};  // encoded packets dropped (output queue full)
  std::atomic<uint64_t> errors{0};         // packets the pipeline failed on
  std::atomic<uint64_t> busyMicros{0};     // worker time spent on this job
  std::atomic<int64_t> firstPtsMs{-1};     // media time processed: first and last frame
  std::atomic<int64_t> lastPtsMs{-1};
};

class TranscodeJob : public std::enable_shared_from_this<TranscodeJob> {
 public:
  // `notify` is called on a worker thread whenever output is ready (it wakes the loop).
  TranscodeJob(std::string name, std::vector<RenditionConfig> rungs, const TranscodeConfig& config,
               WorkerPool& pool, std::function<void()> notify);
  ~TranscodeJob();

  const std::string& name() const { return name_; }

  // ---- loop thread ------------------------------------------------------------------
  // A source packet: video (configuration or frame), audio the job transcodes (not AAC);
  // anything else is ignored.
  void offer(const media::MediaPacketPtr& packet);
  // What the workers produced since the last call, in order.
  std::vector<RungOutput> takeOutput();
  // The source ended: what is queued is still transcoded, then the encoders are drained;
  // finished() turns true once all of it is in takeOutput().
  void finish();
  bool finished() const;
  // Stops: queued input is dropped, no more output; the codec state is released on a
  // worker thread (never the loop's), after any run in progress.
  void cancel();
  size_t queueDepth() const;  // video frames waiting
  const JobCounters& counters() const { return counters_; }
  // The last pipeline error not yet reported ("" if none); clears it.
  std::string takeError();

 private:
  struct Input;     // what a run takes from the queue
  struct Produced;  // what a run made

  void offerAudio(const media::MediaPacketPtr& packet);
  void schedule();  // caller holds no lock
  // Worker thread: takeInput -> transcodeBatch -> drain (after finish()) -> handOver; the middle
  // two hold workMutex_, the others mutex_.
  void run();
  Input takeInput();
  void transcodeBatch(const std::deque<media::MediaPacketPtr>& packets, Produced& produced);
  void drain(Produced& produced);
  void addAudio(Produced& produced);
  bool handOver(Produced produced, bool drained);

  const std::string name_;
  const size_t maxQueue_;
  const size_t maxAudioQueue_;
  const size_t maxOutput_;
  WorkerPool& pool_;
  std::function<void()> notify_;

  mutable std::mutex mutex_;  // guards the fields below
  std::deque<media::MediaPacketPtr> input_;
  size_t queuedAudio_ = 0;  // audio packets among input_
  std::vector<RungOutput> output_;
  bool scheduled_ = false;  // a task for this job is queued or running
  bool dropping_ = false;   // dropping until the next keyframe
  bool finishing_ = false;  // finish() called: flush once the input is empty
  bool finished_ = false;   // flushed
  std::string error_;
  std::atomic<bool> cancelled_{false};

  std::mutex workMutex_;  // held while the pipeline is used or released
  std::unique_ptr<LadderPipeline> pipeline_;
  std::unique_ptr<AudioTranscoder> audio_;
  JobCounters counters_;
};

}  // namespace tidecast::core::transcode
