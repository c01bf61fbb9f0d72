#include "delivery/cmaf/stream_packager.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "core/stream_name.h"

namespace tidecast::delivery::cmaf {

namespace media = core::media;
using media::MediaPacketPtr;
using media::TrackType;

namespace {

// A DTS this far behind or ahead of the track's last one is a jump, not jitter.
constexpr int64_t kMaxBackwardMs = 1000;
constexpr int64_t kMaxForwardMs = 10000;
constexpr size_t kMaxBoundaries = 64;
// A rendition keyframe this close (presentation time) to a source segment start is that start.
constexpr int64_t kAlignToleranceMs = 1;

int64_t wallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

uint64_t toTicks(int64_t ms, uint32_t timescale) {
  return static_cast<uint64_t>(std::max<int64_t>(ms, 0)) * timescale / 1000;
}

bool videoCodec(media::Codec codec) {
  return codec == media::Codec::kH264 || codec == media::Codec::kHevc ||
         codec == media::Codec::kAv1;
}

bool audioCodec(media::Codec codec) {
  return codec == media::Codec::kAac || codec == media::Codec::kOpus;
}

bool holdsSequence(const CmafTrack& track, uint64_t sequence) {
  for (const Segment& s : track.segments()) {
    if (s.discontinuitySequence == sequence) return true;
  }
  return false;
}

}  // namespace

StreamPackager::StreamPackager(std::string name, const CmafConfig& settings,
                               core::LoopContext& context)
    : name_(std::move(name)),
      logName_(core::publicStreamName(name_)),
      settings_(settings),
      context_(context),
      video_(TrackType::kVideo, settings.windowSegments),
      audio_(TrackType::kAudio, settings.windowSegments),
      waiters_(settings.maxWaitersPerStream) {
  if (settings.sendfileSegments > 0) {
    video_.setMirror(core::FileMirror::create("tidecast-cmaf-video"), settings.sendfileSegments);
    audio_.setMirror(core::FileMirror::create("tidecast-cmaf-audio"), settings.sendfileSegments);
  }
  video_.setOnChange([this] { onTrackChange(); });
  audio_.setOnChange([this] { onTrackChange(); });
}

StreamPackager::~StreamPackager() { waiters_.expireAll(); }

void StreamPackager::attach(core::Stream& stream) {
  bool reconnect = video_.described() || audio_.described();
  live_ = true;
  freshSession_ = true;
  if (reconnect) startDiscontinuity(nullptr);
  audioTicksKnown_ = false;
  audioSkipped_ = false;
  boundaries_.clear();
  stream.addSink(*this);
  ++version_;
}

CmafTrack* StreamPackager::track(std::string_view name) {
  if (name == "video") return video();
  if (name == "audio") return audio();
  return nullptr;
}

CmafTrack* StreamPackager::leader() { return video_.described() ? video() : audio(); }

void StreamPackager::onPacket(const MediaPacketPtr& packet) {
  if (packet->track == TrackType::kData) return;
  if (packet->config) {
    describe(*packet);
    return;
  }
  if (packet->endOfSequence || packet->data.empty()) return;
  if (packet->track == TrackType::kVideo && video_.described() && videoCodec(packet->codec)) {
    int64_t dtsMs = outputTime(*packet, video_);
    StreamPackager* leader = leader_ ? leader_() : nullptr;
    if (leader != nullptr) return addFollowerVideo(packet, dtsMs, *leader);
    if (following()) return;  // the source's packager is gone: nothing to align with
    addVideo(packet, dtsMs);
  } else if (packet->track == TrackType::kAudio && audioCodec(packet->codec)) {
    if (!audio_.described() && packet->codec == media::Codec::kOpus) {
      audio_.describe(defaultOpusTrack());
    }
    if (audio_.described()) addAudio(packet, outputTime(*packet, audio_));
  } else if (packet->track == TrackType::kAudio && !audioSkipped_) {
    // MP2 (SRT) and MP3 (RTMP) have no configuration packet to refuse: said here, once per
    // session. The video goes on alone; with a ladder the renditions carry AAC instead.
    audioSkipped_ = true;
    context_.log.info(
        "cmaf.audio_skipped stream={} codec={} reason=\"CMAF players cannot play it\"", logName_,
        media::codecName(packet->codec));
  }
}

void StreamPackager::describe(const media::MediaPacket& config) {
  auto description = describeTrack(config);
  if (!description) {
    context_.log.warn("cmaf.unsupported_track stream={} reason=\"{}\"", logName_,
                      description.error().message);
    return;
  }
  CmafTrack& track = config.track == TrackType::kVideo ? video_ : audio_;
  if (track.describe(std::move(*description))) {
    // New parameters mid-stream: a new init segment from the next segment on.
    startDiscontinuity(&track);
  }
  ++version_;
}

int64_t StreamPackager::trackEndMs(const CmafTrack& track) const {
  auto end = track.end();
  if (!end) return 0;
  uint32_t ts = track.timescale();
  return static_cast<int64_t>((*end * 1000 + ts - 1) / ts);
}

int64_t StreamPackager::outputTime(const media::MediaPacket& packet, CmafTrack& track) {
  if (freshSession_ && syncWithLeader()) {
    freshSession_ = false;
    lastOutMs_.clear();
  }
  if (freshSession_) {
    freshSession_ = false;
    // Continue after everything already packaged, so the timeline never goes back.
    int64_t end = std::max(trackEndMs(video_), trackEndMs(audio_));
    offsetMs_ = (video_.end() || audio_.end()) ? end - packet.dts : 0;
    lastOutMs_.clear();
    wallAnchorMs_ = wallClockMs() - (packet.dts + offsetMs_);
  }
  int64_t out = packet.dts + offsetMs_;
  auto last = lastOutMs_.find(packet.track);
  if (last != lastOutMs_.end() &&
      (out < last->second - kMaxBackwardMs || out > last->second + kMaxForwardMs)) {
    int64_t end = trackEndMs(track);
    context_.log.warn("cmaf.timestamp_jump stream={} track={} from={} to={}", logName_,
                      packet.track == TrackType::kVideo ? "video" : "audio", last->second, out);
    if (syncWithLeader()) {
      out = packet.dts + offsetMs_;
    } else {
      offsetMs_ = end - packet.dts;
      out = end;
      wallAnchorMs_ = wallClockMs() - out;
    }
  }
  lastOutMs_[packet.track] = out;
  return out;
}

bool StreamPackager::syncWithLeader() {
  StreamPackager* leader = leader_ ? leader_() : nullptr;
  if (leader == nullptr || leader->freshSession_) return false;
  offsetMs_ = leader->offsetMs_;
  wallAnchorMs_ = leader->wallAnchorMs_;
  return true;
}

const StreamPackager::Boundary* StreamPackager::boundaryAt(int64_t ptsMs) const {
  for (auto it = boundaries_.rbegin(); it != boundaries_.rend(); ++it) {
    if (std::abs(it->startPtsMs - ptsMs) <= kAlignToleranceMs) return &*it;
    if (it->startPtsMs < ptsMs - kAlignToleranceMs) break;
  }
  return nullptr;
}

void StreamPackager::addFollowerVideo(const MediaPacketPtr& packet, int64_t dtsMs,
                                      StreamPackager& source) {
  uint64_t dts = toTicks(dtsMs, kVideoTimescale);
  int32_t offset = packet->cts * static_cast<int32_t>(kVideoTimescale / 1000);
  const Boundary* start = packet->keyframe ? source.boundaryAt(dtsMs + packet->cts) : nullptr;
  if (packet->keyframe && start == nullptr) ++misaligned_;
  uint64_t msn = start != nullptr ? start->msn : 0;
  // Numbers stay consecutive within a track: when the source's number ran ahead (a GOP the
  // transcoder dropped), the rendition goes on with its own and says so.
  if (start != nullptr && !video_.segments().empty() && msn != video_.nextMsn()) {
    if (msn < video_.nextMsn()) {
      start = nullptr;
    } else {
      context_.log.warn("cmaf.rendition_renumbered stream={} msn={} source_msn={}", logName_,
                        video_.nextMsn(), msn);
      msn = video_.nextMsn();
    }
  }
  if (start != nullptr) {
    if (video_.hasOpenSegment()) video_.closeSegment(dts);
    openSegment(video_, msn, dts, dtsMs, start->sequence, dtsMs + packet->cts);
  } else if (!video_.hasOpenSegment()) {
    return;  // wait for the source's next segment start
  } else {
    maybeClosePart(video_, dts);
  }
  video_.addSample(packet, dts, offset, packet->keyframe);
}

void StreamPackager::startDiscontinuity(const CmafTrack* changed) {
  // The changed track's next segment starts one already (new parameters right after a
  // reconnect): counting again would make the other track, maybe past it, skip a number.
  if (changed != nullptr && (changed == &video_ ? discontinuity_ : audioDiscontinuity_)) return;
  discontinuity_ = audioDiscontinuity_ = true;
  if (sequenceUsed_) ++discontinuitySequence_;
  sequenceUsed_ = false;
}

void StreamPackager::openSegment(CmafTrack& track, uint64_t msn, uint64_t start, int64_t startMs,
                                 uint64_t sequence, int64_t startPtsMs) {
  bool& pending = &track == &video_ ? discontinuity_ : audioDiscontinuity_;
  bool leads = &track == leader();
  int64_t wall = wallAnchorMs_ + startMs;
  // Never back: a follower may have started the new sequence before the leader's segment.
  if (!track.segments().empty()) {
    sequence = std::max(sequence, track.segments().back().discontinuitySequence);
  }
  track.openSegment(msn, start, wall, sequence);
  pending = false;
  if (sequence == discontinuitySequence_) sequenceUsed_ = true;
  const Segment& opened = track.segments().back();
  // Whichever track starts a new sequence first starts its Period (the audio may cut at new
  // parameters before the video's next keyframe).
  if (periods_.empty() || periods_.back().id < opened.discontinuitySequence) {
    periods_.push_back(Period{opened.discontinuitySequence, wall, {}, {}});
    if (availabilityStartMs_ == 0) availabilityStartMs_ = wall;
  }
  for (Period& period : periods_) {
    if (period.id != opened.discontinuitySequence) continue;
    PeriodTrack& entry = &track == &video_ ? period.video : period.audio;
    if (!entry.present) entry = PeriodTrack{true, msn, start, opened.initVersion};
  }
  if (leads) {
    nextMsn_ = msn + 1;
    boundaries_.push_back(Boundary{msn, startMs, sequence, startPtsMs});
    if (boundaries_.size() > kMaxBoundaries) boundaries_.pop_front();
  }
}

void StreamPackager::maybeClosePart(CmafTrack& track, uint64_t dts) {
  uint64_t target = toTicks(settings_.partTargetMs, track.timescale());
  uint64_t elapsed = dts - std::min(dts, track.partStart());
  // Cut at the sample boundary nearest the target rather than always past it.
  if (elapsed + track.lastDuration() / 2 >= target) track.closePart(dts);
}

void StreamPackager::addVideo(const MediaPacketPtr& packet, int64_t dtsMs) {
  uint64_t dts = toTicks(dtsMs, kVideoTimescale);
  int32_t offset = packet->cts * static_cast<int32_t>(kVideoTimescale / 1000);
  if (!video_.hasOpenSegment()) {
    if (!packet->keyframe) return;  // a segment starts at a keyframe
    openSegment(video_, nextMsn_, dts, dtsMs, discontinuitySequence_, dtsMs + packet->cts);
  } else {
    uint64_t target = toTicks(settings_.segmentTargetMs, kVideoTimescale);
    uint64_t tolerance = std::min<uint64_t>(target / 10, kVideoTimescale / 10);
    uint64_t elapsed = dts - std::min(dts, video_.segmentStart());
    if (packet->keyframe && (elapsed + tolerance >= target || discontinuity_)) {
      video_.closeSegment(dts);
      openSegment(video_, nextMsn_, dts, dtsMs, discontinuitySequence_, dtsMs + packet->cts);
    } else {
      maybeClosePart(video_, dts);
    }
  }
  video_.addSample(packet, dts, offset, packet->keyframe);
}

void StreamPackager::addAudio(const MediaPacketPtr& packet, int64_t dtsMs) {
  const TrackDescription& description = audio_.description();
  uint32_t ts = description.timescale;
  uint64_t dts = toTicks(dtsMs, ts);
  // AAC frames have a fixed length: count samples instead of trusting millisecond stamps.
  if (description.samplesPerFrame != 0 && audioTicksKnown_) {
    uint64_t expected = audioNextTicks_;
    uint64_t slack = std::max<uint64_t>(description.samplesPerFrame * 2, ts / 20);
    uint64_t diff = dts > expected ? dts - expected : expected - dts;
    if (diff <= slack) dts = expected;
  }
  audioTicksKnown_ = true;
  audioNextTicks_ = dts + description.samplesPerFrame;

  bool followsVideo = video_.described();
  if (!audio_.hasOpenSegment()) {
    if (followsVideo) {
      // Start with the video segment this sample falls in.
      auto it = std::find_if(boundaries_.rbegin(), boundaries_.rend(),
                             [&](const Boundary& b) { return b.startMs <= dtsMs; });
      if (it == boundaries_.rend()) return;  // before the first video keyframe
      // Numbers stay consecutive within a track; normally they equal the video's. So does
      // the discontinuity sequence: that of the video segment joined.
      uint64_t msn = audio_.segments().empty() ? it->msn : audio_.nextMsn();
      openSegment(audio_, msn, dts, dtsMs, it->sequence);
    } else {
      openSegment(audio_, nextMsn_, dts, dtsMs, discontinuitySequence_);
    }
  } else {
    bool cut = false;
    uint64_t sequence = discontinuitySequence_;
    if (followsVideo) {
      uint64_t current = audio_.segments().back().msn;
      auto next = std::find_if(boundaries_.begin(), boundaries_.end(),
                               [&](const Boundary& b) { return b.msn > current; });
      cut = next != boundaries_.end() && dtsMs >= next->startMs;
      // Into the video segment this sample falls in, unless a discontinuity starts here.
      auto covering = std::find_if(boundaries_.rbegin(), boundaries_.rend(),
                                   [&](const Boundary& b) { return b.startMs <= dtsMs; });
      if (cut && !audioDiscontinuity_ && covering != boundaries_.rend()) {
        sequence = covering->sequence;
      }
    } else {
      uint64_t target = toTicks(settings_.segmentTargetMs, ts);
      cut = dts - std::min(dts, audio_.segmentStart()) >= target;
    }
    if (cut || audioDiscontinuity_) {
      audio_.closeSegment(dts);
      openSegment(audio_, audio_.nextMsn(), dts, dtsMs, sequence);
    } else {
      maybeClosePart(audio_, dts);
    }
  }
  audio_.addSample(packet, dts, 0, true);
}

void StreamPackager::onStreamEnd(std::string_view reason) {
  video_.flush();
  audio_.flush();
  live_ = false;
  endedAtMs_ = context_.loop.nowMs();
  ++version_;
  context_.log.info("cmaf.stream_ended stream={} reason=\"{}\"", logName_, reason);
  waiters_.poll();
}

void StreamPackager::onTrackChange() {
  ++version_;
  // Forget periods none of whose segments are left.
  if (CmafTrack* lead = leader(); lead && !lead->segments().empty()) {
    uint64_t oldest = lead->segments().front().msn;
    while (periods_.size() > 1) {
      const PeriodTrack& next = lead == &video_ ? periods_[1].video : periods_[1].audio;
      if (!next.present || next.firstMsn > oldest) break;
      periods_.pop_front();
    }
  }
  // A track leaves a Period with its last segment there (its init segment may go too): its
  // numbers can drift from the leader's when the two tracks' timestamps lie far apart.
  for (Period& period : periods_) {
    if (period.video.present && !holdsSequence(video_, period.id)) period.video.present = false;
    if (period.audio.present && !holdsSequence(audio_, period.id)) period.audio.present = false;
  }
  while (periods_.size() > 1 && !periods_.front().video.present &&
         !periods_.front().audio.present) {
    periods_.pop_front();
  }
  waiters_.poll();
}

}  // namespace tidecast::delivery::cmaf
