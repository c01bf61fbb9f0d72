// Finds the stamps in one HTTP response body while it arrives, whatever the container:
// MPEG-TS (recognised by its sync byte; the payloads are reassembled per PID before the search)
// or anything else, such as fMP4, searched as it comes. Stamps are reported as soon as their
// last byte is in, with the arrival time of that byte: for a segment sent while it is being
// produced (chunked transfer), each frame's latency is that of its own bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <span>

#include "bench/latency/stamp_scanner.h"
#include "bench/latency/ts_payloads.h"

namespace tidecast::bench::latency {

class BodyStamps {
 public:
  using Found = std::function<void(int64_t stampMicros, int64_t arrivedMicros)>;

  explicit BodyStamps(Found found) : found_(std::move(found)) {}

  void feed(std::span<const uint8_t> bytes, int64_t arrivedMicros);

  uint64_t stamps() const { return stamps_; }
  bool mpegTs() const { return kind_ == Kind::kTs; }

 private:
  enum class Kind { kUnknown, kTs, kOther };

  Found found_;
  Kind kind_ = Kind::kUnknown;
  TsPayloads ts_;
  std::map<uint16_t, StampScanner> perPid_;
  StampScanner raw_;
  uint64_t stamps_ = 0;
};

}  // namespace tidecast::bench::latency
