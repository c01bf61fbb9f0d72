#include "bench/latency/body_stamps.h"

namespace tidecast::bench::latency {

void BodyStamps::feed(std::span<const uint8_t> bytes, int64_t arrivedMicros) {
  if (bytes.empty()) return;
  if (kind_ == Kind::kUnknown) kind_ = bytes[0] == 0x47 ? Kind::kTs : Kind::kOther;
  auto report = [&](int64_t stamp) {
    ++stamps_;
    found_(stamp, arrivedMicros);
  };
  if (kind_ == Kind::kOther) {
    raw_.feed(bytes, report);
    return;
  }
  ts_.feed(bytes, [&](uint16_t pid, std::span<const uint8_t> payload) {
    perPid_[pid].feed(payload, report);
  });
}

}  // namespace tidecast::bench::latency
