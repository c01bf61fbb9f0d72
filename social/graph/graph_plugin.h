// The follow graph's REST API under /api/v1/users/{id}/... (spec: api/openapi.yaml). Every
// route needs an end-user JWT (api/auth UserAuth); {id} must be the caller's own id for
// writes and for the private reads (blocks, recommendations); followers, following, counts,
// is-following and mutual of anyone are readable by any signed-in user. Writes are
// idempotent and rate limited per user (token bucket, social.writes_per_second/write_burst).
// Errors are JSON {"error":{"code","message"}}. The store comes from SocialStorePlugin.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/admin/rate_limiter.h"
#include "api/auth/user_auth.h"
#include "api/plugin.h"
#include "social/store/social_store_plugin.h"

namespace tidecast::social::graph {

class GraphPlugin final : public api::Plugin {
 public:
  std::string_view name() const override { return "social.graph"; }
  std::vector<api::ServiceNeed> needs() const override {
    return {{api::service<store::SocialStorePlugin>()}};
  }
  core::Status mount(api::PluginContext& context) override;

 private:
  using Response = std::shared_ptr<api::HttpResponse>;
  struct Caller {
    std::string self;    // the JWT's subject
    std::string user;    // {id}
    std::string target;  // {target}, "" when the route has none
  };
  enum class Access { kAnyUser, kSelf, kSelfWrite };
  using Handler = void (GraphPlugin::*)(api::HttpRequest&, const Response&, const Caller&);

  std::optional<Caller> admit(api::HttpRequest& request, api::HttpResponse& response,
                              Access access);
  void follow(api::HttpRequest&, const Response&, const Caller&);
  void unfollow(api::HttpRequest&, const Response&, const Caller&);
  void isFollowing(api::HttpRequest&, const Response&, const Caller&);
  void followers(api::HttpRequest&, const Response&, const Caller&);
  void following(api::HttpRequest&, const Response&, const Caller&);
  void counts(api::HttpRequest&, const Response&, const Caller&);
  void mutual(api::HttpRequest&, const Response&, const Caller&);
  void block(api::HttpRequest&, const Response&, const Caller&);
  void unblock(api::HttpRequest&, const Response&, const Caller&);
  void isBlocked(api::HttpRequest&, const Response&, const Caller&);
  void recommendations(api::HttpRequest&, const Response&, const Caller&);
  void page(api::HttpRequest& request, const Response& response, const Caller& caller,
            bool followers);

  store::GraphStore* graph_ = nullptr;
  core::LoopContext* loop_ = nullptr;
  const SocialConfig* config_ = nullptr;
  std::optional<api::auth::UserAuth> auth_;  // empty when auth.jwt has no key
  api::admin::RateLimiter writes_;
};

}  // namespace tidecast::social::graph
