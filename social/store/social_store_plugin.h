// Opens the social store the config asks for and hands it to the social plug-ins. It is a
// plug-in itself (mounted before them) because opening needs what mount() gets: the loop,
// metrics, the EventBus the outbox delivers to, the config. server/ constructs it and gives
// a reference to each social plug-in's constructor; api/ (PluginContext) never learns about
// social types, so the room rules hold.
//
//   social.store: sqlite  -> SqliteGraphStore on <data_dir>/<social.sqlite_file>; with
//                            redis.host set, wrapped in the followers cache (CachedGraphStore)
//   social.store: redis   -> RedisGraphStore (redis.host required)
#pragma once

#include <memory>

#include "api/plugin.h"
#include "social/store/graph_store.h"
#include "social/store/redis_client.h"

namespace tidecast::social::store {

class SocialStorePlugin final : public api::Plugin {
 public:
  SocialStorePlugin();
  ~SocialStorePlugin() override;
  std::string_view name() const override { return "social.store"; }
  // Error codes: social.store (the file cannot be opened or migrated), config.social (store:
  // redis without redis.host).
  core::Status mount(api::PluginContext& context) override;

  // The graph store; valid after a successful mount, for the plug-ins' lifetime.
  GraphStore& graph() { return *graph_; }
  RedisClient* redis() { return redis_.get(); }  // null when Redis is not configured

 private:
  std::unique_ptr<RedisClient> redis_;  // declared first: destroyed after the stores using it
  std::unique_ptr<GraphStore> graph_;
};

RedisSettings redisSettings(const core::RedisConfig& config);
GraphLimits graphLimits(const core::SocialConfig& config);

}  // namespace tidecast::social::store
