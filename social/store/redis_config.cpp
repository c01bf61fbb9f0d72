#include "social/store/redis_config.h"

namespace tidecast::social::store {

using core::kConfigMaxMillis;
using core::Reload;

const core::ConfigSection& redisConfigSection() {
  using C = RedisConfig;
  using B = core::SectionBuilder<C>;
  static const core::ConfigSection section =
      B("redis",
        "Redis: the shared social store (social.store: redis) for several tidecast nodes, or, "
        "with social.store: sqlite, the followers cache in front of SQLite. hiredis on the "
        "event loop (never blocking it); reconnects by itself with exponential backoff. While "
        "it is down the Redis store answers 503 and the cache is bypassed "
        "(tidecast_social_redis_up 0). Memory: the Redis store keeps two sorted-set entries per "
        "follow, each small enough for redis-server's compact listpack encoding: 46 bytes a "
        "follow with the keys, 872 MiB for 20M follows (bench/RESULTS.md).")
          .text("host", &C::host, B::Empty::kAllowed, Reload::kRestart,
                "Redis server (or cluster seed node); \"\" leaves Redis unused.")
          .integer("port", &C::port, 1, 65535, "", Reload::kRestart, "TCP port.")
          .integer("connect_timeout_ms", &C::connectTimeoutMs, 10, kConfigMaxMillis, "ms",
                   Reload::kRestart, "Connecting longer than this is a failure (then backoff).")
          .integer("command_timeout_ms", &C::commandTimeoutMs, 10, kConfigMaxMillis, "ms",
                   Reload::kRestart,
                   "A reply overdue this long drops and reopens the connection; the commands in "
                   "flight fail.")
          .integer("reconnect_min_ms", &C::reconnectMinMs, 1, kConfigMaxMillis, "ms",
                   Reload::kRestart,
                   "First reconnect delay, doubled after each failure up to reconnect_max_ms.")
          .integer("reconnect_max_ms", &C::reconnectMaxMs, 1, kConfigMaxMillis, "ms",
                   Reload::kRestart, "Longest reconnect delay.")
          .integer("max_in_flight", &C::maxInFlight, 1, 1000000, "", Reload::kRestart,
                   "Commands awaiting a reply; past it new ones fail at once.")
          .flag("cluster", &C::cluster, Reload::kRestart,
                "A Redis Cluster, host/port being a seed node. The slot map is read from it "
                "(CLUSTER SLOTS), each command goes to its slot's master (one connection per "
                "master), MOVED and ASK redirections are followed (at most 5 per command), "
                "TRYAGAIN and CLUSTERDOWN fail the command (503). Up once every master's "
                "connection is.")
          .build();
  return section;
}

}  // namespace tidecast::social::store
