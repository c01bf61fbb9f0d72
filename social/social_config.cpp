#include "social/social_config.h"

#include "social/store/redis_config.h"

namespace tidecast::social {

using core::Reload;

namespace {

// The Redis outbox's times against the Redis command timeout: a dispatch round (up to four
// commands) ends inside its lease, and a write's two commands inside half the grace period.
core::Status checkRedisOutboxTimes(const core::Config& c, std::string_view where) {
  const uint64_t commandMs = c.get<store::RedisConfig>().commandTimeoutMs;
  const SocialConfig& social = c.get<SocialConfig>();
  for (auto [value, key] : {std::pair{social.redisOutboxLeaseMs, "redis_outbox_lease_ms"},
                            std::pair{social.redisOutboxGraceMs, "redis_outbox_grace_ms"}}) {
    if (value < 4 * commandMs) {
      return core::makeError("config.invalid_value",
                             std::string(where) + ": social." + key + ": expected at least " +
                                 std::to_string(4 * commandMs) + " (4 x redis.command_timeout_ms)");
    }
  }
  return {};
}

}  // namespace

const core::ConfigSection& socialConfigSection() {
  using C = SocialConfig;
  using B = core::SectionBuilder<C>;
  static const core::ConfigSection section =
      B("social",
        "The social graph (follows, blocks, recommendations) under /api/v1/users/{id}/..., "
        "with end-user JWTs (auth.jwt).")
          .flag("enabled", &C::enabled, Reload::kRestart, "Serve the social plug-ins.")
          .name("store", &C::store, {"sqlite", "redis"}, Reload::kRestart,
                "sqlite: one embedded file (WAL) under data_dir, with the outbox; redis: shared "
                "by several nodes (redis.host required), with an outbox per user "
                "(redis_outbox_*; docs/architecture.md \"Redis outbox\"); its follow times are "
                "whole seconds, and one second's follows page in user id order.")
          .text("sqlite_file", &C::sqliteFile, B::Empty::kRejected, Reload::kRestart,
                "The SQLite file, under data_dir.")
          .integer("followers_cache_ttl_s", &C::followersCacheTtlS, 1, 30 * 86400, "s",
                   Reload::kRestart,
                   "With store sqlite and redis.host set: how long a cached followers page "
                   "(social:followers:{id}) lives unless a follow change drops it first.")
          .integer("max_following", &C::maxFollowing, 1, 1000000, "", Reload::kRestart,
                   "Follows one user may hold (409 past it); bounds mutual follows and "
                   "recommendations.")
          .integer("page_size_default", &C::pageSizeDefault, 1, 1000, "", Reload::kRestart,
                   "Followers/following page size without ?limit=.")
          .integer("page_size_max", &C::pageSizeMax, 1, 1000, "", Reload::kRestart,
                   "The largest ?limit= accepted.")
          .integer("mutual_max", &C::mutualMax, 1, 10000, "", Reload::kRestart,
                   "Mutual follows returned at most.")
          .integer("recommendations_max", &C::recommendationsMax, 1, 1000, "", Reload::kRestart,
                   "Recommendations returned at most.")
          .integer("recommendation_sources", &C::recommendationSources, 1, 10000, "",
                   Reload::kRestart,
                   "The newest followees whose follows are scanned for recommendations.")
          .integer("recommendation_per_source", &C::recommendationPerSource, 1, 10000, "",
                   Reload::kRestart,
                   "The newest follows read from each of them (the work is sources x "
                   "per_source rows at most).")
          .integer("writes_per_second", &C::writesPerSecond, 1, 100000, "", Reload::kRestart,
                   "Per-user token bucket on follow/unfollow/block/unblock (429 past it).")
          .integer("write_burst", &C::writeBurst, 1, 100000, "", Reload::kRestart,
                   "The same bucket's burst.")
          .integer("redis_followers_bucket", &C::redisFollowersBucket, 16, 4096, "",
                   Reload::kRestart,
                   "With store redis: followers per sorted set; a popular user's followers are "
                   "split into buckets of this many, so each stays in redis-server's compact "
                   "listpack encoding. Keep it at most redis-server's zset-max-listpack-entries "
                   "(default 128).")
          .integer("redis_outbox_lease_ms", &C::redisOutboxLeaseMs, 100, 3600000, "ms",
                   Reload::kRestart,
                   "With store redis: a node dispatches a user's outbox under a lease this long "
                   "(renewed per batch; at least 4 x redis.command_timeout_ms).")
          .integer("redis_outbox_grace_ms", &C::redisOutboxGraceMs, 200, 3600000, "ms",
                   Reload::kRestart,
                   "With store redis: a user whose changes were marked this long ago is "
                   "dispatched by any node's sweep (a crashed writer or dispatcher; at least 4 x "
                   "redis.command_timeout_ms; writes reaching Redis later than half of it after "
                   "their mark are refused with 503).")
          .check(checkRedisOutboxTimes)
          .build();
  return section;
}

}  // namespace tidecast::social
