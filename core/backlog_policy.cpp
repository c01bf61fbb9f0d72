#include "core/backlog_policy.h"

namespace tidecast::core {

BacklogPolicy::Decision BacklogPolicy::decide(const media::MediaPacket& packet,
                                              size_t backlogBytes) {
  // Configuration and metadata always go: a decoder cannot resume without them.
  if (packet.config || packet.track == media::TrackType::kData) return Decision::kSend;
  if (!skipping_) {
    if (backlogBytes <= limits_.maxBytes) return Decision::kSend;
    skipping_ = true;
    skipStartDts_ = packet.dts;
  }
  bool keyframe = packet.track == media::TrackType::kVideo && packet.keyframe;
  if (keyframe) {
    if (backlogBytes > limits_.maxBytes) return Decision::kDrop;
    skipping_ = false;
    return Decision::kSend;
  }
  if (packet.dts - skipStartDts_ > static_cast<int64_t>(limits_.maxMs)) return Decision::kDrop;
  ++skipped_;
  return Decision::kSkip;
}

}  // namespace tidecast::core
