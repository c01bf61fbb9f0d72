#include "delivery/cmaf/cmaf_track.h"

#include <algorithm>

#include "delivery/cmaf/init_segment.h"

namespace tidecast::delivery::cmaf {

CmafTrack::CmafTrack(core::media::TrackType type, uint32_t windowSegments)
    : type_(type), windowSegments_(std::max<uint32_t>(windowSegments, 2)) {}

bool CmafTrack::describe(TrackDescription description) {
  if (description_ && description_->config.view() == description.config.view()) return false;
  bool first = !description_;
  description_ = std::move(description);
  if (!first) ++initVersion_;
  inits_[initVersion_] = writeInitSegment(*description_);
  return !first;
}

core::Slice CmafTrack::init(uint32_t version) const {
  auto it = inits_.find(version);
  return it == inits_.end() ? core::Slice{} : it->second;
}

std::optional<uint64_t> CmafTrack::end() const {
  if (held_) return heldDts_ + lastDuration_;
  if (!segments_.empty()) return segments_.back().start + segments_.back().duration;
  return std::nullopt;
}

void CmafTrack::openSegment(uint64_t msn, uint64_t start, int64_t wallClockMs, uint64_t sequence) {
  if (open_) closeSegment(start);
  bool discontinuity = !segments_.empty() && segments_.back().discontinuitySequence != sequence;
  Segment& segment = segments_.emplace_back();
  segment.msn = msn;
  segment.discontinuitySequence = sequence;
  segment.discontinuity = discontinuity;
  segment.initVersion = initVersion_;
  segment.start = start;
  segment.presentationStart = start;
  segment.wallClockMs = wallClockMs;
  open_ = &segment;
  openHasSample_ = false;
  partStart_ = start;
}

void CmafTrack::completeHeldSample(uint64_t nextDts) {
  if (!held_) return;
  lastDuration_ = nextDts > heldDts_ ? nextDts - heldDts_ : 1;
  held_->duration = static_cast<uint32_t>(lastDuration_);
  partSamples_.push_back(std::move(*held_));
  held_.reset();
}

void CmafTrack::addSample(core::media::MediaPacketPtr packet, uint64_t dts,
                          int32_t compositionOffset, bool sync) {
  completeHeldSample(dts);
  if (open_ != nullptr && !openHasSample_) {
    int64_t shown = static_cast<int64_t>(dts) + compositionOffset;
    open_->presentationStart = static_cast<uint64_t>(std::max<int64_t>(shown, 0));
    openHasSample_ = true;
  }
  held_ = CmafSample{std::move(packet), 0, compositionOffset, sync};
  heldDts_ = dts;
}

void CmafTrack::closePart(uint64_t end) {
  if (!open_) return;
  completeHeldSample(end);  // the sample before `end` belongs to this part
  if (partSamples_.empty()) return;
  FragmentHeader header;
  header.sequenceNumber = fragmentSequence_++;
  header.baseDecodeTime = partStart_;
  header.segmentStart = open_->parts.empty();
  auto part = std::make_shared<Part>();
  part->id = nextPartId_++;
  part->msn = open_->msn;
  part->index = static_cast<uint32_t>(open_->parts.size());
  part->bytes = writeFragment(header, partSamples_);
  if (mirror_) part->bytes = mirror_->mirror(part->bytes);
  part->size = core::totalSize(part->bytes);
  part->start = partStart_;
  part->duration = end > partStart_ ? end - partStart_ : 0;
  part->independent = partSamples_.front().sync;
  open_->samples += static_cast<uint32_t>(partSamples_.size());
  partSamples_.clear();
  open_->parts.push_back(part);
  open_->size += part->size;
  open_->duration = end > open_->start ? end - open_->start : 0;
  partStart_ = end;
  changed();
}

void CmafTrack::closeSegment(uint64_t end) {
  if (!open_) return;
  closePart(end);
  Segment* closing = open_;
  open_ = nullptr;
  if (closing->parts.empty()) {
    segments_.pop_back();  // nothing was written into it
    return;
  }
  closing->complete = true;
  maxSegmentDuration_ = std::max(maxSegmentDuration_, closing->duration);
  prune();
  coolDown();
  changed();
}

void CmafTrack::flush() {
  if (held_) {
    uint64_t end = heldDts_ + std::max<uint64_t>(lastDuration_, 1);
    completeHeldSample(end);
    closeSegment(end);
    return;
  }
  if (open_) closeSegment(partStart_);
}

void CmafTrack::prune() {
  size_t complete = 0;
  for (const Segment& s : segments_) complete += s.complete ? 1 : 0;
  while (complete > windowSegments_ && segments_.front().complete) {
    segments_.pop_front();
    --complete;
  }
  uint32_t oldest = segments_.empty() ? initVersion_ : segments_.front().initVersion;
  std::erase_if(inits_, [&](const auto& entry) { return entry.first < oldest; });
}

void CmafTrack::coolDown() {
  // The live edge, where viewers are, stays mirrored; older parts go back to memory only.
  if (!mirror_ || segments_.size() <= mirroredSegments_) return;
  for (auto& part : segments_[segments_.size() - 1 - mirroredSegments_].parts) {
    part->bytes = core::memoryOnly(part->bytes);
  }
}

void CmafTrack::changed() {
  ++version_;
  if (onChange_) onChange_();
}

const Segment* CmafTrack::segment(uint64_t msn) const {
  if (segments_.empty() || msn < segments_.front().msn) return nullptr;
  uint64_t index = msn - segments_.front().msn;
  if (index >= segments_.size()) return nullptr;
  return &segments_[index];
}

std::optional<uint64_t> CmafTrack::segmentAt(uint64_t time, uint64_t tolerance) const {
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (it->presentationStart == time) return it->msn;
  }
  uint64_t from = time - std::min(time, tolerance);
  auto before = std::find_if(segments_.rbegin(), segments_.rend(),
                             [from](const Segment& s) { return s.presentationStart <= from; });
  if (before == segments_.rend()) return std::nullopt;
  // The upcoming segment, the newest, or (a client late to ask) the one before it.
  uint64_t msn = before->msn + 1;
  if (msn + 1 < segments_.back().msn) return std::nullopt;
  return msn;
}

PartPtr CmafTrack::part(uint64_t id) const {
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (it->parts.empty()) continue;
    uint64_t first = it->parts.front()->id;
    if (id >= first) {
      uint64_t index = id - first;
      return index < it->parts.size() ? it->parts[index] : nullptr;
    }
  }
  return nullptr;
}

uint64_t CmafTrack::nextMsn() const { return segments_.empty() ? 0 : segments_.back().msn + 1; }

core::SliceList CmafTrack::segmentBytes(const Segment& segment, size_t fromPart) const {
  core::SliceList out;
  for (size_t i = fromPart; i < segment.parts.size(); ++i) {
    const auto& bytes = segment.parts[i]->bytes;
    out.insert(out.end(), bytes.begin(), bytes.end());
  }
  return out;
}

}  // namespace tidecast::delivery::cmaf
