// Reassembles the payloads of an MPEG-TS byte stream handed over in pieces (HTTP body bytes as
// they arrive): for each 188-byte packet, the bytes after its header and adaptation field, with
// its PID. A consumer that keeps one stream per PID sees each elementary stream's PES bytes
// contiguous again, so a stamp split across TS packets is whole in it.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace tidecast::bench::latency {

class TsPayloads {
 public:
  using Sink = std::function<void(uint16_t pid, std::span<const uint8_t> payload)>;

  // Splits `bytes` (continuing the previous calls' bytes) into packets and hands each payload
  // to `sink`. Bytes that are not at a sync byte are skipped until the next one.
  void feed(std::span<const uint8_t> bytes, const Sink& sink);

  // Starts a new stream (the next file).
  void reset() { partial_.clear(); }

  // Bytes skipped to find packet sync, over all streams.
  uint64_t skippedBytes() const { return skipped_; }

 private:
  void packet(const uint8_t* p, const Sink& sink);

  std::vector<uint8_t> partial_;
  uint64_t skipped_ = 0;
};

}  // namespace tidecast::bench::latency
