// The `social:` section: the follow graph (social/graph) and its store (social/store).
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace tidecast::social {

struct SocialConfig {
  bool enabled = true;
  std::string store = "sqlite";          // "sqlite" (embedded) or "redis" (shared)
  std::string sqliteFile = "social.db";  // under data_dir
  uint32_t followersCacheTtlS = 86400;   // with store sqlite and redis.host set
  uint32_t maxFollowing = 5000;          // follows one user may hold
  uint32_t pageSizeDefault = 20;
  uint32_t pageSizeMax = 100;
  uint32_t mutualMax = 100;  // mutual follows returned
  uint32_t recommendationsMax = 50;
  uint32_t recommendationSources = 100;    // newest followees whose follows are scanned
  uint32_t recommendationPerSource = 100;  // newest follows read from each of them
  uint32_t writesPerSecond = 5;            // per user: follow, unfollow, block, unblock
  uint32_t writeBurst = 30;
  // The Redis store (store: redis): followers per sorted set before it splits into buckets,
  // the dispatcher's lease on a user's outbox, and how long a pending user waits for the sweep.
  uint32_t redisFollowersBucket = 128;
  uint32_t redisOutboxLeaseMs = 15000;
  uint32_t redisOutboxGraceMs = 30000;
  bool operator==(const SocialConfig&) const = default;
};

const core::ConfigSection& socialConfigSection();

}  // namespace tidecast::social
