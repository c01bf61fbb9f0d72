// Token buckets keyed by a string (a client address, a token hash): `perSecond` requests per
// second on average, bursts of up to `burst`. The table is bounded: idle buckets (full again)
// are dropped when it grows past kMaxBuckets. Loop thread only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace tidecast::api::admin {

class RateLimiter {
 public:
  static constexpr size_t kMaxBuckets = 100000;

  // 0 when the request may go on; otherwise the seconds to wait (Retry-After, at least 1).
  uint32_t take(std::string_view key, uint32_t perSecond, uint32_t burst, uint64_t nowMs);
  size_t size() const { return buckets_.size(); }

 private:
  struct Bucket {
    double tokens;
    uint64_t updatedMs;
  };
  void prune(uint64_t nowMs, uint32_t perSecond, uint32_t burst);

  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace tidecast::api::admin
