#include "social/store/social_store_plugin.h"

#include <filesystem>

#include "core/data_dir_config.h"
#include "social/store/cached_graph_store.h"
#include "social/store/redis_graph_store.h"
#include "social/store/sqlite_graph_store.h"

namespace tidecast::social::store {

GraphLimits graphLimits(const SocialConfig& c) {
  return {c.maxFollowing, c.recommendationSources, c.recommendationPerSource};
}

SocialStorePlugin::SocialStorePlugin() = default;
SocialStorePlugin::~SocialStorePlugin() = default;

core::Status SocialStorePlugin::mount(api::PluginContext& context) {
  const SocialConfig& social = context.config.get<SocialConfig>();
  const RedisConfig& redis = context.config.get<RedisConfig>();
  if (!social.enabled) return {};
  core::MetricsRegistry& metrics = context.loop.metrics;
  if (!redis.host.empty()) {
    redis_ = std::make_unique<RedisClient>(context.loop.loop, redis, context.loop.log);
    redis_->start();
    metrics.gaugeCallback("tidecast_social_redis_up",
                          "1 while the Redis connection (cluster: every master's) is up",
                          [redis = redis_.get()] { return redis->connected() ? 1.0 : 0.0; });
    metrics.counterCallback(
        "tidecast_social_redis_reconnects_total", "Redis connection attempts after the first",
        [redis = redis_.get()] { return static_cast<double>(redis->reconnects()); });
    metrics.counterCallback(
        "tidecast_social_redis_failures_total", "Redis commands answered with an error",
        [redis = redis_.get()] { return static_cast<double>(redis->failures()); });
  }
  GraphLimits limits = graphLimits(social);
  if (social.store == "redis") {
    if (!redis_) {
      return core::makeError("config.social", "social.store is redis but redis.host is empty");
    }
    RedisOutboxSettings outbox;
    outbox.leaseMs = social.redisOutboxLeaseMs;
    outbox.graceMs = social.redisOutboxGraceMs;
    RedisGraphLayout layout;
    layout.followersBucket = social.redisFollowersBucket;
    auto redisStore = std::make_unique<RedisGraphStore>(*redis_, limits, outbox, layout);
    RedisGraphStore* raw = redisStore.get();
    metrics.counterCallback("tidecast_social_outbox_delivered_total",
                            "Outbox events handed to the EventBus",
                            [raw] { return static_cast<double>(raw->deliveredEvents()); });
    metrics.gaugeCallback("tidecast_social_outbox_pending_users",
                          "Users with follow changes marked pending in Redis (last sweep)",
                          [raw] { return static_cast<double>(raw->pendingUsers()); });
    graph_ = std::move(redisStore);
  } else {
    std::string path =
        (std::filesystem::path(context.config.get<core::DataDirConfig>().path) / social.sqliteFile)
            .string();
    auto sqlite = SqliteGraphStore::open(context.loop.loop, path, limits);
    if (!sqlite) return sqlite.error();
    SqliteGraphStore* raw = sqlite->get();
    metrics.counterCallback("tidecast_social_outbox_delivered_total",
                            "Outbox events handed to the EventBus",
                            [raw] { return static_cast<double>(raw->deliveredEvents()); });
    graph_ = std::move(*sqlite);
    if (redis_) {
      graph_ = std::make_unique<CachedGraphStore>(std::move(graph_), *redis_,
                                                  social.followersCacheTtlS, metrics);
    }
  }
  context.loop.log.info("social.store backend={} cache={}", graph_->backend(),
                        redis_ && social.store == "sqlite" ? "redis" : "none");
  graph_->setEventSink([&events = context.events](const core::Event& e) { events.publish(e); });
  context.services.offer(*this);
  return {};
}

}  // namespace tidecast::social::store
