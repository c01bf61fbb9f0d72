#include "core/transcode/transcoder.h"

#include "core/stream_name.h"

extern "C" {
#include <libavutil/log.h>
}

namespace tidecast::core::transcode {

namespace {

constexpr const char* kJobsMetric = "tidecast_core_transcode_jobs";
constexpr const char* kSpeedMetric = "tidecast_core_transcode_speed_ratio";
constexpr const char* kQueueMetric = "tidecast_core_transcode_queue_frames";
constexpr const char* kDroppedMetric = "tidecast_core_transcode_dropped_frames";
constexpr const char* kFramesMetric = "tidecast_core_transcode_input_frames";
constexpr const char* kErrorsMetric = "tidecast_core_transcode_errors";
constexpr const char* kAudioInMetric = "tidecast_core_transcode_audio_input_frames";
constexpr const char* kAudioDroppedMetric = "tidecast_core_transcode_audio_dropped_frames";
constexpr const char* kAudioOutMetric = "tidecast_core_transcode_audio_output_frames";

// A job whose source ended gets this long to transcode what was queued.
constexpr uint64_t kDrainTimeoutMs = 3000;
constexpr uint64_t kDrainCheckMs = 250;

// "app/key" -> "app".
std::string_view appOf(std::string_view stream) { return stream.substr(0, stream.find('/')); }

}  // namespace

// ---- one source stream being transcoded ----------------------------------------------------

class Transcoder::Session final : public StreamSink {
 public:
  Session(Transcoder& owner, Stream& source, const LadderConfig& ladder)
      : owner_(owner), name_(source.name()), ladder_(ladder.name), source_(&source) {
    for (const RenditionConfig& rung : ladder.renditions) renditions_.push_back({rung.name});
    job_ = std::make_shared<TranscodeJob>(name_, ladder.renditions, owner.config_, *owner.pool_,
                                          [async = &owner.async_] { async->send(); });
  }

  ~Session() override {
    if (source_ != nullptr) source_->removeSink(*this);
    job_->cancel();
    for (size_t i = 0; i < renditions_.size(); ++i) stopRendition(i, "transcoding stopped");
  }

  void attach() { source_->addSink(*this); }  // replays the GOP: the job starts at once

  // Video, and audio the job transcodes (it ignores AAC: the variants use the source's).
  void onPacket(const media::MediaPacketPtr& packet) override { job_->offer(packet); }
  // The source ended: the job finishes what is queued (the renditions end with the same
  // segments as the source), then the transcoder stops the session (drain()).
  void onStreamEnd(std::string_view reason) override {
    source_ = nullptr;
    endReason_ = reason;
    drainDeadlineMs_ = owner_.context_.loop.nowMs() + kDrainTimeoutMs;
    job_->finish();
  }
  bool draining() const { return source_ == nullptr; }
  // Drained (or out of time): the session can go.
  bool done() const {
    return draining() && (job_->finished() || owner_.context_.loop.nowMs() >= drainDeadlineMs_);
  }
  const std::string& endReason() const { return endReason_; }
  bool isPlayer() const override { return false; }

  // What the workers produced: into the rendition streams, started on their first packet.
  void deliver() {
    if (std::string error = job_->takeError(); !error.empty()) {
      owner_.context_.log.warn("transcode.error stream={} error=\"{}\"", publicStreamName(name_),
                               error);
    }
    uint64_t now = owner_.context_.loop.nowMs();
    for (RungOutput& output : job_->takeOutput()) {
      if (output.rung == RungOutput::kEveryRung) {
        deliverToAll(output.packet, now);
        continue;
      }
      if (output.rung >= renditions_.size()) continue;
      Stream* stream = rendition(output.rung, now);
      if (stream != nullptr) stream->push(output.packet, now);
    }
  }

  const std::string& ladder() const { return ladder_; }
  const TranscodeJob& job() const { return *job_; }
  std::vector<std::string> renditionNames() const {
    std::vector<std::string> names;
    for (const Rendition& r : renditions_) names.push_back(name_ + "/" + r.name);
    return names;
  }

 private:
  struct Rendition {
    std::string name;
    Stream* stream = nullptr;
    uint64_t session = 0;
  };

  // The transcoded audio: into every rendition started (they start with their video). Its
  // configuration is kept for the renditions that start later.
  void deliverToAll(const media::MediaPacketPtr& packet, uint64_t now) {
    if (packet->config) audioConfig_ = packet;
    for (Rendition& r : renditions_) {
      if (r.stream != nullptr) r.stream->push(packet, now);
    }
  }

  Stream* rendition(size_t index, uint64_t now) {
    Rendition& r = renditions_[index];
    if (r.stream != nullptr) return r.stream;
    StreamHub& hub = owner_.hub_;
    SessionRecord& record =
        hub.sessions().open(SessionRecord::Role::kPublisher, "transcode", "internal");
    record.close = [this, index](std::string_view reason) { stopRendition(index, reason); };
    auto stream = hub.startRendition(name_, r.name, record);
    if (!stream) {
      owner_.context_.log.warn("transcode.rendition_refused stream={} error=\"{}\"",
                               publicStreamName(name_ + "/" + r.name), stream.error().message);
      hub.sessions().remove(record.id);
      return nullptr;
    }
    r.stream = *stream;
    r.session = record.id;
    if (audioConfig_) r.stream->push(audioConfig_, now);
    return r.stream;
  }

  void stopRendition(size_t index, std::string_view reason) {
    Rendition& r = renditions_[index];
    if (r.session == 0) return;
    StreamHub& hub = owner_.hub_;
    if (Stream* stream = hub.find(name_ + "/" + r.name); stream == r.stream && stream) {
      hub.stopPublishing(*stream, reason);
    }
    hub.sessions().remove(r.session);
    r.stream = nullptr;
    r.session = 0;
  }

  Transcoder& owner_;
  std::string name_;
  std::string ladder_;
  Stream* source_;
  std::string endReason_;
  uint64_t drainDeadlineMs_ = 0;
  std::vector<Rendition> renditions_;
  media::MediaPacketPtr audioConfig_;  // the transcoded audio's AudioSpecificConfig, if any
  std::shared_ptr<TranscodeJob> job_;
};

// ---- the manager ---------------------------------------------------------------------------

Transcoder::Transcoder(LoopContext& context, StreamHub& hub, TranscodeConfig config)
    : context_(context),
      hub_(hub),
      config_(std::move(config)),
      async_(context.loop, [this] { drain(); }),
      drainTimer_(context.loop),
      pool_(std::make_unique<WorkerPool>(config_.workers)) {
  // libav*'s own lines (warnings and errors; per-encoder statistics are info) reach the log
  // through core/av_log, which the server installs; errors also come back as values.
  // Waking the loop must not keep a stopping server alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(async_.raw()));
  // Sessions out of drain time go even when no worker wakes the loop.
  drainTimer_.start(kDrainCheckMs, kDrainCheckMs, [this] { drain(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(drainTimer_.raw()));
  subscription_ = hub_.events().subscribe("stream.started",
                                          [this](const Event& event) { onStreamStarted(event); });
  exportMetrics();
}

Transcoder::~Transcoder() {
  hub_.events().unsubscribe(subscription_);
  sessions_.clear();
  pool_.reset();
  MetricsRegistry& metrics = context_.metrics;
  metrics.remove(kJobsMetric);
  for (const auto& [name, labels] : exported_) metrics.remove(name, labels);
}

const LadderConfig* Transcoder::ladderFor(const std::string& stream) const {
  std::string ladderName;
  if (auto it = overrides_.find(stream); it != overrides_.end()) {
    if (!it->second.enabled) return nullptr;
    ladderName = it->second.ladder;
  }
  if (ladderName.empty()) {
    if (const AppConfig* app = context_.config.get<AppsConfig>().find(appOf(stream))) {
      ladderName = app->transcode;
    }
  }
  if (ladderName.empty() && overrides_.contains(stream) && !config_.ladders.empty()) {
    ladderName = config_.ladders.front().name;  // turned on for an app without a ladder
  }
  for (const LadderConfig& ladder : config_.ladders) {
    if (ladder.name == ladderName && !ladder.renditions.empty()) return &ladder;
  }
  return nullptr;
}

bool Transcoder::sourceListed(const std::string& stream) const {
  const LadderConfig* ladder = ladderFor(stream);
  return ladder == nullptr || ladder->source;
}

void Transcoder::onStreamStarted(const Event& event) {
  Stream* stream = hub_.find(event.stream);
  if (stream == nullptr || !stream->renditionOf().empty()) return;
  if (const LadderConfig* ladder = ladderFor(event.stream)) start(*stream, *ladder);
}

void Transcoder::start(Stream& source, const LadderConfig& ladder) {
  if (auto it = sessions_.find(source.name()); it != sessions_.end()) {
    if (!it->second->draining()) return;
    stop(source.name(), "publisher reconnected");  // the old session's renditions end now
  }
  if (sessions_.size() >= config_.maxJobs) {
    context_.log.warn("transcode.refused stream={} reason=\"max_jobs ({}) reached\"",
                      publicStreamName(source.name()), config_.maxJobs);
    return;
  }
  auto session = std::make_unique<Session>(*this, source, ladder);
  Session& raw = *session;
  sessions_.emplace(source.name(), std::move(session));
  context_.log.info("transcode.started stream={} ladder={} renditions={}",
                    publicStreamName(source.name()), ladder.name, ladder.renditions.size());
  raw.attach();
}

void Transcoder::stop(const std::string& stream, std::string_view reason) {
  auto it = sessions_.find(stream);
  if (it == sessions_.end()) return;
  const JobCounters& c = it->second->job().counters();
  context_.log.info("transcode.stopped stream={} reason=\"{}\" frames={} dropped={} errors={}",
                    publicStreamName(stream), reason, c.framesIn.load(), c.framesDropped.load(),
                    c.errors.load());
  std::unique_ptr<Session> session = std::move(it->second);
  sessions_.erase(it);
  samples_.erase(stream);
}

void Transcoder::drain() {
  // Walk a snapshot of the names: sessions that are done go.
  std::vector<std::string> names;
  for (const auto& [name, session] : sessions_) names.push_back(name);
  for (const std::string& name : names) {
    auto it = sessions_.find(name);
    if (it == sessions_.end()) continue;
    it->second->deliver();
    if (it->second->done()) stop(name, it->second->endReason());
  }
}

Status Transcoder::setEnabled(std::string_view app, std::string_view key,
                              std::optional<bool> enabled, std::string_view ladder) {
  auto name = StreamHub::streamName(app, key);
  if (!name) return makeError("transcode.bad_name", "invalid app or stream key");
  if (!ladder.empty()) {
    bool known = false;
    for (const LadderConfig& l : config_.ladders) known |= l.name == ladder;
    if (!known)
      return makeError("transcode.no_ladder", "no ladder named '" + std::string(ladder) + "'");
  }
  if (enabled) {
    overrides_[*name] = Override{*enabled, std::string(ladder)};
  } else {
    overrides_.erase(*name);
  }
  const LadderConfig* chosen = ladderFor(*name);
  if (enabled.value_or(false) && chosen == nullptr) {
    overrides_.erase(*name);
    return makeError("transcode.no_ladder", "no transcode ladder is configured");
  }
  Stream* stream = hub_.find(*name);
  auto session = sessions_.find(*name);
  bool running = session != sessions_.end() && !session->second->draining();
  if (chosen == nullptr && running) {
    stop(*name, "turned off");
  } else if (chosen != nullptr && !running && stream != nullptr) {
    start(*stream, *chosen);
  }
  return {};
}

TranscodeState Transcoder::state(std::string_view app, std::string_view key) const {
  TranscodeState state;
  auto name = StreamHub::streamName(app, key);
  if (!name) return state;
  const LadderConfig* ladder = ladderFor(*name);
  state.enabled = ladder != nullptr;
  state.overridden = overrides_.contains(*name);
  if (ladder != nullptr) state.ladder = ladder->name;
  auto it = sessions_.find(*name);
  if (it == sessions_.end()) return state;
  state.running = true;
  state.ladder = it->second->ladder();
  state.renditions = it->second->renditionNames();
  const TranscodeJob& job = it->second->job();
  state.framesIn = job.counters().framesIn.load();
  state.framesDropped = job.counters().framesDropped.load();
  state.queueDepth = job.queueDepth();
  if (auto sample = samples_.find(*name); sample != samples_.end())
    state.speed = sample->second.speed;
  return state;
}

void Transcoder::exportMetrics() {
  MetricsRegistry& metrics = context_.metrics;
  metrics.gaugeCallback(kJobsMetric, "Streams being transcoded (one job each)",
                        [this] { return static_cast<double>(sessions_.size()); });
  auto alive = std::make_shared<bool>(true);
  metrics.addCollectHook([this, weak = std::weak_ptr<bool>(alive)] {
    if (weak.expired()) return;
    for (const auto& [name, labels] : exported_) context_.metrics.remove(name, labels);
    exported_.clear();
    for (const auto& [name, session] : sessions_) {
      const TranscodeJob& job = session->job();
      const JobCounters& c = job.counters();
      Sample& sample = samples_[name];
      uint64_t busy = c.busyMicros.load();
      int64_t last = c.lastPtsMs.load();
      if (busy > sample.busyMicros && sample.lastPtsMs >= 0 && last > sample.lastPtsMs) {
        sample.speed = static_cast<double>(last - sample.lastPtsMs) * 1000.0 /
                       static_cast<double>(busy - sample.busyMicros);
      }
      sample.busyMicros = busy;
      sample.lastPtsMs = last;
      Labels labels{{"stream", publicStreamName(name)}};  // never the key in a label
      auto gauge = [&](const char* metric, const char* help, double value) {
        context_.metrics.gauge(metric, help, labels).set(value);
        exported_.emplace_back(metric, labels);
      };
      gauge(kSpeedMetric, "Media time transcoded per second of worker time (>= 1: real time)",
            sample.speed);
      gauge(kQueueMetric, "Source frames waiting for the job's worker",
            static_cast<double>(job.queueDepth()));
      gauge(kDroppedMetric, "Source frames dropped because the job fell behind",
            static_cast<double>(c.framesDropped.load()));
      gauge(kFramesMetric, "Source frames offered to the job",
            static_cast<double>(c.framesIn.load()));
      gauge(kErrorsMetric, "Frames the job failed to decode or encode",
            static_cast<double>(c.errors.load()));
      // Audio the job transcodes (not AAC: Opus, MP2, MP3); all 0 for an AAC source.
      gauge(kAudioInMetric, "Source audio frames offered to the job's AAC transcoder",
            static_cast<double>(c.audioIn.load()));
      gauge(kAudioDroppedMetric, "Source audio frames dropped because the job fell behind",
            static_cast<double>(c.audioDropped.load()));
      gauge(kAudioOutMetric, "AAC frames the job encoded (shared by every rendition)",
            static_cast<double>(c.audioOut.load()));
    }
  });
  alive_ = alive;
}

}  // namespace tidecast::core::transcode
