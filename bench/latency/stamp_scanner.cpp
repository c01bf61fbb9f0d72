#include "bench/latency/stamp_scanner.h"

#include <algorithm>
#include <functional>

#include "bench/latency/sei_stamp.h"

namespace tidecast::bench::latency {

void StampScanner::feed(std::span<const uint8_t> bytes, const Found& found) {
  carry_.insert(carry_.end(), bytes.begin(), bytes.end());
  const std::boyer_moore_horspool_searcher uuid(kStampUuid.begin(), kStampUuid.end());
  // Bytes before `keep` can no longer start a stamp that is not complete yet.
  size_t keep = carry_.size() > kStampPayloadSize - 1 ? carry_.size() - (kStampPayloadSize - 1) : 0;
  auto from = carry_.begin();
  while (true) {
    auto hit = std::search(from, carry_.end(), uuid);
    if (hit == carry_.end()) break;
    auto at = static_cast<size_t>(hit - carry_.begin());
    if (carry_.size() - at < kStampPayloadSize) {
      keep = std::min(keep, at);  // the digits have not all arrived: keep the UUID
      break;
    }
    if (auto stamp = parseStampDigits(std::span(carry_).subspan(at + kStampUuidSize))) {
      found(*stamp);
    }
    from = hit + kStampUuidSize;
  }
  carry_.erase(carry_.begin(), carry_.begin() + static_cast<ptrdiff_t>(keep));
}

}  // namespace tidecast::bench::latency
