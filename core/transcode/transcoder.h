// The in-process ABR ladder: for every live stream whose app names a ladder (apps.<app>.
// transcode) or that the admin API turned on, one TranscodeJob on the shared worker pool, and
// one rendition stream per rung ("app/key/<rung>") in the hub, fed with what the job encodes.
// Renditions go through the same packager as any stream; their segments line up with the
// source's because every IDR sits on a source keyframe.
//
// Jobs stop with their source (or a publisher's reconnect, which starts a new stream and a new
// job) and when turned off. Per job, metrics tidecast_core_transcode_*{stream}: speed (media
// time over worker time), input queue depth, dropped frames; audio frames in, dropped and
// encoded to AAC (audio_*_frames; non-AAC sources only).
//
// Loop thread only; the workers talk back through one uv_async_t.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/loop.h"
#include "core/loop_context.h"
#include "core/stream_hub.h"
#include "core/stream_hub_config.h"
#include "core/transcode/transcode_config.h"
#include "core/transcode/transcode_job.h"
#include "core/transcode/worker_pool.h"
#include "core/transcode_control.h"

namespace tidecast::core::transcode {

using core::TranscodeState;

class Transcoder final : public TranscodeControl {
 public:
  Transcoder(LoopContext& context, StreamHub& hub, TranscodeConfig config);
  ~Transcoder() override;
  Transcoder(const Transcoder&) = delete;
  Transcoder& operator=(const Transcoder&) = delete;

  // TranscodeControl (core/transcode_control.h).
  Status setEnabled(std::string_view app, std::string_view key, std::optional<bool> enabled,
                    std::string_view ladder = {}) override;
  TranscodeState state(std::string_view app, std::string_view key) const override;
  bool sourceListed(const std::string& stream) const override;
  size_t jobCount() const { return sessions_.size(); }
  const TranscodeConfig& config() const { return config_; }

 private:
  class Session;
  struct Override {
    bool enabled = false;
    std::string ladder;
  };
  const LadderConfig* ladderFor(const std::string& stream) const;
  void onStreamStarted(const Event& event);
  void start(Stream& source, const LadderConfig& ladder);
  void stop(const std::string& stream, std::string_view reason);
  void drain();
  void exportMetrics();

  LoopContext& context_;
  StreamHub& hub_;
  TranscodeConfig config_;
  std::map<std::string, Override, std::less<>> overrides_;
  // Destroyed in reverse: sessions first, then the pool (joining its threads), then the async
  // the threads signal.
  Async async_;
  Timer drainTimer_;
  std::unique_ptr<WorkerPool> pool_;
  std::map<std::string, std::unique_ptr<Session>, std::less<>> sessions_;
  EventBus::SubscriptionId subscription_ = 0;
  std::vector<std::pair<std::string, Labels>> exported_;
  struct Sample {
    uint64_t busyMicros = 0;
    int64_t lastPtsMs = -1;
    double speed = 0;
  };
  std::map<std::string, Sample, std::less<>> samples_;
  std::shared_ptr<bool> alive_;  // the metrics collect hook checks it
};

}  // namespace tidecast::core::transcode
