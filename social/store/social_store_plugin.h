// Opens the social store the config asks for and offers it to the social plug-ins (the
// service registry of api/plugin.h: they name it in needs(), so they mount after it). It is a
// plug-in itself because opening needs what mount() gets: the loop, metrics, the EventBus the
// outbox delivers to, the config. With social.enabled false it opens nothing and offers
// nothing, and the social plug-ins stay unmounted.
//
//   social.store: sqlite  -> SqliteGraphStore on <data_dir>/<social.sqlite_file>; with
//                            redis.host set, wrapped in the followers cache (CachedGraphStore)
//   social.store: redis   -> RedisGraphStore (redis.host required)
#pragma once

#include <memory>

#include "api/plugin.h"
#include "social/social_config.h"
#include "social/store/graph_store.h"
#include "social/store/redis_client.h"

namespace tidecast::social::store {

class SocialStorePlugin final : public api::Plugin {
 public:
  SocialStorePlugin();
  ~SocialStorePlugin() override;
  static constexpr std::string_view kServiceName = "the social store (social::store)";
  std::string_view name() const override { return "social.store"; }
  std::vector<api::ServiceKey> offers() const override {
    return {api::service<SocialStorePlugin>()};
  }
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

GraphLimits graphLimits(const SocialConfig& config);

}  // namespace tidecast::social::store
