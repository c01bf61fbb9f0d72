// Packages one live stream ("app/key") into CMAF: a video and an audio track, parts every
// part target, segments at the first keyframe past the segment target, audio cut on the
// video's clock so segment N of both tracks covers the same time. Survives its publisher:
// when the same key publishes again within the linger time, the tracks go on with a
// discontinuity (new init version, DASH Period) on a timeline made continuous, so viewers
// never reload. Timestamp jumps inside a session are smoothed the same way.
//
// Attached to the hub's Stream as a non-player sink. Loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/loop_context.h"
#include "core/stream.h"
#include "delivery/cmaf/cmaf_config.h"
#include "delivery/cmaf/cmaf_track.h"
#include "delivery/cmaf/waiters.h"

namespace tidecast::delivery::cmaf {

// Where a track enters a DASH Period.
struct PeriodTrack {
  bool present = false;
  uint64_t firstMsn = 0;
  uint64_t start = 0;  // decode time of its first segment, track timescale
  uint32_t initVersion = 0;
};

// A DASH Period: a run of segments between discontinuities.
struct Period {
  uint64_t id = 0;               // the discontinuity sequence number
  int64_t startWallClockMs = 0;  // when its first sample was ingested
  PeriodTrack video;
  PeriodTrack audio;
};

// A rendered playlist or manifest, shared by every request until the tracks change.
struct RenderedText {
  uint64_t version = ~uint64_t{0};
  core::Slice text;
};

class StreamPackager final : public core::StreamSink {
 public:
  StreamPackager(std::string name, const CmafConfig& settings, core::LoopContext& context);
  ~StreamPackager() override;

  const std::string& name() const { return name_; }
  // A (new) publishing session of this stream begins.
  void attach(core::Stream& stream);
  bool live() const { return live_; }
  uint64_t endedAtMs() const { return endedAtMs_; }  // loop clock, when !live()

  // A transcoded rendition ("app/key/<rung>") follows its source's packager: the same output
  // timeline and wall clock, and a segment starts only at a keyframe presented exactly where
  // a source segment starts, with that segment's number and discontinuity sequence. So
  // segment N of every rendition covers the same time as the source's (players switch
  // between them at any segment). `leader` looks the source up (null while it has none).
  void follow(std::function<StreamPackager*()> leader) { leader_ = std::move(leader); }
  bool following() const { return static_cast<bool>(leader_); }

  void onPacket(const core::media::MediaPacketPtr& packet) override;
  void onStreamEnd(std::string_view reason) override;
  bool isPlayer() const override { return false; }

  // Null until the track's decoder configuration arrived.
  CmafTrack* video() { return video_.described() ? &video_ : nullptr; }
  CmafTrack* audio() { return audio_.described() ? &audio_ : nullptr; }
  CmafTrack* track(std::string_view name);  // "video" / "audio"
  // The track that leads segmentation (video when there is video).
  CmafTrack* leader();

  // Wall clock of the first segment's start (DASH availabilityStartTime); 0 before it.
  int64_t availabilityStartMs() const { return availabilityStartMs_; }
  const std::deque<Period>& periods() const { return periods_; }
  const CmafConfig& settings() const { return settings_; }
  // Bumps whenever a part or segment is added on either track, or the session changes.
  uint64_t version() const { return version_; }
  Waiters& waiters() { return waiters_; }
  RenderedText& rendered(const std::string& key) { return rendered_[key]; }

 private:
  struct Boundary {
    uint64_t msn;
    int64_t startMs;     // output timeline
    uint64_t sequence;   // discontinuity sequence
    int64_t startPtsMs;  // presentation time of the keyframe that starts it
  };
  // The leader's segment that starts at presentation time `ptsMs` (output timeline).
  const Boundary* boundaryAt(int64_t ptsMs) const;
  void addFollowerVideo(const core::media::MediaPacketPtr& packet, int64_t dtsMs,
                        StreamPackager& source);
  // Takes the leader's output timeline (a fresh session, or a jump).
  bool syncWithLeader();
  void describe(const core::media::MediaPacket& config);
  // The packet's DTS on the continuous output timeline (ms); rebases after a jump.
  int64_t outputTime(const core::media::MediaPacket& packet, CmafTrack& track);
  int64_t trackEndMs(const CmafTrack& track) const;
  void addVideo(const core::media::MediaPacketPtr& packet, int64_t dtsMs);
  void addAudio(const core::media::MediaPacketPtr& packet, int64_t dtsMs);
  // Cuts a part when the next sample at `dts` would pass the part target.
  void maybeClosePart(CmafTrack& track, uint64_t dts);
  // Opens the track's segment `msn` in discontinuity sequence `sequence`.
  void openSegment(CmafTrack& track, uint64_t msn, uint64_t start, int64_t startMs,
                   uint64_t sequence, int64_t startPtsMs = 0);
  // A reconnect (null) or new parameters on `changed`: the next segment of each track starts
  // a new discontinuity sequence (counted once, whichever track gets there first).
  void startDiscontinuity(const CmafTrack* changed);
  void onTrackChange();

  std::string name_;
  std::string logName_;  // core::publicStreamName(name_): what log lines show
  CmafConfig settings_;
  core::LoopContext& context_;
  CmafTrack video_;
  CmafTrack audio_;
  bool live_ = false;
  uint64_t endedAtMs_ = 0;
  bool freshSession_ = true;    // rebase the timeline at the session's first media packet
  bool discontinuity_ = false;  // the next segment of each track starts a new period
  bool audioDiscontinuity_ = false;
  uint64_t discontinuitySequence_ = 0;  // of the segments opened from now on
  bool sequenceUsed_ = false;           // a segment was opened in it (the next one counts)
  int64_t offsetMs_ = 0;                // output time = input DTS + offset
  std::map<core::media::TrackType, int64_t> lastOutMs_;
  int64_t wallAnchorMs_ = 0;  // wall clock of output time 0 in the current session
  uint64_t audioNextTicks_ = 0;
  bool audioTicksKnown_ = false;
  bool audioSkipped_ = false;        // audio CMAF cannot carry (MP2, MP3) was left out: logged once
  std::deque<Boundary> boundaries_;  // video segment starts, for the audio track
  uint64_t nextMsn_ = 0;
  int64_t availabilityStartMs_ = 0;
  std::deque<Period> periods_;
  uint64_t version_ = 0;
  Waiters waiters_;
  std::map<std::string, RenderedText> rendered_;
  std::function<StreamPackager*()> leader_;
  uint64_t misaligned_ = 0;  // follower keyframes the leader had no segment start for
};

}  // namespace tidecast::delivery::cmaf
