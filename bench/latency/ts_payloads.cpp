#include "bench/latency/ts_payloads.h"

namespace tidecast::bench::latency {
namespace {

constexpr size_t kPacketSize = 188;
constexpr uint8_t kSyncByte = 0x47;
constexpr uint16_t kNullPid = 0x1fff;

}  // namespace

void TsPayloads::feed(std::span<const uint8_t> bytes, const Sink& sink) {
  partial_.insert(partial_.end(), bytes.begin(), bytes.end());
  size_t pos = 0;
  while (partial_.size() - pos >= kPacketSize) {
    if (partial_[pos] != kSyncByte) {
      ++pos;
      ++skipped_;
      continue;
    }
    packet(partial_.data() + pos, sink);
    pos += kPacketSize;
  }
  partial_.erase(partial_.begin(), partial_.begin() + static_cast<ptrdiff_t>(pos));
}

void TsPayloads::packet(const uint8_t* p, const Sink& sink) {
  auto pid = static_cast<uint16_t>((p[1] & 0x1f) << 8 | p[2]);
  uint8_t adaptation = (p[3] >> 4) & 0x3;
  if (pid == kNullPid || (adaptation & 0x1) == 0) return;  // no payload
  size_t start = 4;
  if (adaptation & 0x2) start += 1 + p[4];
  if (start >= kPacketSize) return;
  sink(pid, std::span(p + start, kPacketSize - start));
}

}  // namespace tidecast::bench::latency
