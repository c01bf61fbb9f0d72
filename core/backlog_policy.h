// What to do with a packet for a viewer that may be falling behind. Shared by every player
// output (RTMP play, HTTP-FLV, ...): the publisher never waits for a viewer. A viewer whose
// unsent bytes pass the limit skips ahead to the next video keyframe (dropping what is in
// between); if it is still over the limit when that keyframe arrives, it is dropped.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/media/media_packet.h"

namespace tidecast::core {

struct BacklogLimits {
  size_t maxBytes = 4 * 1024 * 1024;  // unsent bytes before skipping to the next keyframe
  uint32_t maxMs = 5000;              // media time allowed to pass while skipping
  // Not a limit but the same viewers' output policy: once the viewer has its start-up burst,
  // its writes are merged for up to this long (core::TcpStream::setWriteMerge); 0 = per turn.
  uint32_t writeMergeMs = 0;
  bool operator==(const BacklogLimits&) const = default;
};

class BacklogPolicy {
 public:
  enum class Decision { kSend, kSkip, kDrop };
  explicit BacklogPolicy(BacklogLimits limits) : limits_(limits) {}

  // `backlogBytes`: bytes written to the viewer and not yet taken by its socket.
  Decision decide(const media::MediaPacket& packet, size_t backlogBytes);
  bool skipping() const { return skipping_; }
  const BacklogLimits& limits() const { return limits_; }
  uint64_t skippedPackets() const { return skipped_; }

 private:
  BacklogLimits limits_;
  bool skipping_ = false;
  int64_t skipStartDts_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace tidecast::core
