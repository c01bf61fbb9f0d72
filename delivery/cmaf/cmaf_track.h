// One CMAF track of a live stream (video or audio, apart: HLS and DASH serve the same
// bytes): its init segments and a bounded window of segments, each made of parts (one
// fragment each). The StreamPackager decides where parts and segments are cut and feeds
// samples in; HLS and DASH read the window. Loop thread only.
//
// A sample's duration is known only when the next sample arrives, so the track holds one
// sample back: a part is written the moment the first sample after its end arrives.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/file_mirror.h"
#include "core/slice.h"
#include "delivery/cmaf/fragment_writer.h"
#include "delivery/cmaf/track_description.h"

namespace tidecast::delivery::cmaf {

struct Part {
  uint64_t id = 0;  // numbers every part of the track in order: its URI ("p<id>.m4s")
  uint64_t msn = 0;
  uint32_t index = 0;  // within its segment
  core::SliceList bytes;
  size_t size = 0;
  uint64_t start = 0;     // decode time, track timescale
  uint64_t duration = 0;  // track timescale
  bool independent = false;
};
using PartPtr = std::shared_ptr<const Part>;

struct Segment {
  uint64_t msn = 0;
  uint64_t discontinuitySequence = 0;  // how many discontinuities precede this segment
  bool discontinuity = false;          // the first segment after one
  uint32_t initVersion = 0;
  uint64_t start = 0;  // decode time of the first sample, track timescale
  // Its presentation time (start + composition offset; a segment starts at a keyframe, the
  // first sample shown): DASH's S@t and $Time$, equal across renditions of one stream.
  uint64_t presentationStart = 0;
  uint64_t duration = 0;    // so far, while not complete
  int64_t wallClockMs = 0;  // ingest wall clock of the first sample (EXT-X-PROGRAM-DATE-TIME)
  std::vector<std::shared_ptr<Part>> parts;
  size_t size = 0;
  uint32_t samples = 0;
  bool complete = false;
};

class CmafTrack {
 public:
  CmafTrack(core::media::TrackType type, uint32_t windowSegments);

  core::media::TrackType type() const { return type_; }
  bool described() const { return description_.has_value(); }
  const TrackDescription& description() const { return *description_; }
  uint32_t timescale() const { return description_ ? description_->timescale : 1000; }

  // A new decoder configuration. Returns true when it differs from the current one: a new
  // init version, used from the next segment on.
  bool describe(TrackDescription description);
  uint32_t initVersion() const { return initVersion_; }
  // Empty when that version is gone (no segment in the window uses it).
  core::Slice init(uint32_t version) const;

  // ---- fed by the packager (times in track timescale) -----------------------------------
  bool hasOpenSegment() const { return open_ != nullptr; }
  uint64_t segmentStart() const { return open_ ? open_->start : 0; }
  uint64_t partStart() const { return partStart_; }
  // Duration of the last sample added (an estimate of the next).
  uint64_t lastDuration() const { return lastDuration_; }
  // End of the timeline: the pending sample's time plus its estimated duration.
  std::optional<uint64_t> end() const;
  // Opens segment `msn` at `start` in the packager's discontinuity sequence `sequence` (one
  // count for both tracks, so renditions and Periods agree). A segment whose sequence differs
  // from the one before it in this track is flagged as a discontinuity.
  void openSegment(uint64_t msn, uint64_t start, int64_t wallClockMs, uint64_t sequence);
  // Adds a sample at decode time `dts`: the held-back sample before it is completed first.
  void addSample(core::media::MediaPacketPtr packet, uint64_t dts, int32_t compositionOffset,
                 bool sync);
  // Closes the current part at `end` (the next sample's time), the held-back sample included;
  // no-op when it is empty.
  void closePart(uint64_t end);
  // Closes the open segment (its last part included) at `end`.
  void closeSegment(uint64_t end);
  // The publisher left: the held-back sample gets the previous duration, everything closes.
  void flush();

  // Parts of the newest segments are also copied into this file, so that serving them to
  // many viewers uses sendfile instead of a copy per viewer (see core/file_mirror.h).
  void setMirror(std::shared_ptr<core::FileMirror> mirror, size_t segments) {
    mirror_ = std::move(mirror);
    mirroredSegments_ = segments;
  }

  // Called after every new part and every segment closed.
  void setOnChange(std::function<void()> onChange) { onChange_ = std::move(onChange); }

  // ---- read by HLS / DASH ---------------------------------------------------------------
  const std::deque<Segment>& segments() const { return segments_; }
  const Segment* segment(uint64_t msn) const;
  // The segment (its msn) a DASH `$Time$` URL names: the one presented from `time`. Otherwise
  // `time` is a start the MPD predicted for the segment after the one then in progress (its
  // end was not known), and names the first segment presented after `time - tolerance`, or
  // nextMsn() when that one has not opened yet; nothing when that is older than the newest
  // two (no prediction names those).
  std::optional<uint64_t> segmentAt(uint64_t time, uint64_t tolerance) const;
  PartPtr part(uint64_t id) const;
  uint64_t nextPartId() const { return nextPartId_; }
  uint64_t nextMsn() const;  // the segment after the last one in the window
  // Segment bytes so far (all parts).
  core::SliceList segmentBytes(const Segment& segment, size_t fromPart = 0) const;
  uint64_t maxSegmentDuration() const { return maxSegmentDuration_; }
  uint64_t version() const { return version_; }  // bumps on every change
  // Bytes of this track's parts held in its sendfile mirror.
  double mirroredBytes() const {
    return mirror_ ? static_cast<double>(mirror_->residentBytes()) : 0;
  }

 private:
  void completeHeldSample(uint64_t nextDts);
  void prune();
  void coolDown();  // parts behind the live edge go back to memory only
  void changed();

  core::media::TrackType type_;
  uint32_t windowSegments_;
  std::optional<TrackDescription> description_;
  uint32_t initVersion_ = 0;
  std::map<uint32_t, core::Slice> inits_;
  std::deque<Segment> segments_;
  std::shared_ptr<core::FileMirror> mirror_;
  size_t mirroredSegments_ = 0;
  Segment* open_ = nullptr;
  bool openHasSample_ = false;  // its first sample (and so its presentationStart) came
  std::vector<CmafSample> partSamples_;
  uint64_t partStart_ = 0;
  std::optional<CmafSample> held_;
  uint64_t heldDts_ = 0;
  uint64_t lastDuration_ = 0;
  uint64_t nextPartId_ = 0;
  uint32_t fragmentSequence_ = 1;
  uint64_t maxSegmentDuration_ = 0;
  uint64_t version_ = 0;
  std::function<void()> onChange_;
};

}  // namespace tidecast::delivery::cmaf
