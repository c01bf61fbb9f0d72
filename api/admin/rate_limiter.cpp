#include "api/admin/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace tidecast::api::admin {

uint32_t RateLimiter::take(std::string_view key, uint32_t perSecond, uint32_t burst,
                           uint64_t nowMs) {
  if (buckets_.size() >= kMaxBuckets) prune(nowMs, perSecond, burst);
  auto [it, fresh] = buckets_.try_emplace(std::string(key), Bucket{double(burst), nowMs});
  Bucket& bucket = it->second;
  if (!fresh) {
    double elapsed = static_cast<double>(nowMs - std::min(nowMs, bucket.updatedMs)) / 1000.0;
    bucket.tokens = std::min<double>(burst, bucket.tokens + elapsed * perSecond);
    bucket.updatedMs = nowMs;
  }
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return 0;
  }
  double wait = (1.0 - bucket.tokens) / std::max<uint32_t>(perSecond, 1);
  return std::max<uint32_t>(1, static_cast<uint32_t>(std::ceil(wait)));
}

void RateLimiter::prune(uint64_t nowMs, uint32_t perSecond, uint32_t burst) {
  // A bucket that would be full again holds no state worth keeping.
  std::erase_if(buckets_, [&](const auto& entry) {
    double elapsed = static_cast<double>(nowMs - std::min(nowMs, entry.second.updatedMs)) / 1000.0;
    return entry.second.tokens + elapsed * perSecond >= burst;
  });
}

}  // namespace tidecast::api::admin
