#include "social/graph/graph_plugin.h"

#include <nlohmann/json.hpp>

#include "api/json_error.h"
#include "social/graph/graph_requests.h"

namespace tidecast::social::graph {

using nlohmann::json;

namespace {

void sendJson(api::HttpResponse& response, int status, const json& body) {
  response.send(status, {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}},
                {core::Slice::fromString(body.dump())});
}

int statusOf(const core::Error& error) {
  if (error.code == "social.blocked") return 403;
  if (error.code == "social.too_many_following") return 409;
  if (error.code == "social.bad_cursor") return 400;
  if (error.code == "social.store_unavailable") return 503;
  return 500;
}

void sendError(api::HttpResponse& response, const core::Error& error) {
  api::sendJsonError(response, statusOf(error), error.code, error.message);
}

json edgeView(const store::Edge& edge) {
  return {{"user", edge.user}, {"since_ms", edge.createdMs}, {"notify", edge.notify}};
}

}  // namespace

core::Status GraphPlugin::mount(api::PluginContext& context) {
  config_ = &context.config.get<SocialConfig>();
  if (!config_->enabled) return {};
  loop_ = &context.loop;
  graph_ = &context.services.get<store::SocialStorePlugin>().graph();
  const api::auth::JwtConfig& jwt = context.config.get<api::auth::AuthConfig>().jwt;
  if (jwt.algorithm == api::auth::JwtAlgorithm::kRs256 || !jwt.secret.empty()) {
    auto verifier = api::auth::JwtVerifier::fromConfig(jwt);
    if (!verifier) return verifier.error();
    auth_.emplace(std::move(*verifier));
  } else {
    context.loop.log.warn("social.graph auth=disabled reason=\"auth.jwt.secret is empty\"");
  }
  auto route = [&](std::string_view method, std::string_view pattern, Access access,
                   Handler handler) {
    context.router.add(
        method, pattern,
        [this, access, handler](api::HttpRequest& request, const Response& response) {
          auto caller = admit(request, *response, access);
          if (caller) (this->*handler)(request, response, *caller);
        });
  };
  const std::string base = "/api/v1/users/{id}";
  route("PUT", base + "/following/{target}", Access::kSelfWrite, &GraphPlugin::follow);
  route("DELETE", base + "/following/{target}", Access::kSelfWrite, &GraphPlugin::unfollow);
  route("GET", base + "/following/{target}", Access::kAnyUser, &GraphPlugin::isFollowing);
  route("GET", base + "/followers", Access::kAnyUser, &GraphPlugin::followers);
  route("GET", base + "/following", Access::kAnyUser, &GraphPlugin::following);
  route("GET", base + "/counts", Access::kAnyUser, &GraphPlugin::counts);
  route("GET", base + "/mutual", Access::kAnyUser, &GraphPlugin::mutual);
  route("PUT", base + "/blocks/{target}", Access::kSelfWrite, &GraphPlugin::block);
  route("DELETE", base + "/blocks/{target}", Access::kSelfWrite, &GraphPlugin::unblock);
  route("GET", base + "/blocks/{target}", Access::kSelf, &GraphPlugin::isBlocked);
  route("GET", base + "/recommendations", Access::kSelf, &GraphPlugin::recommendations);
  return {};
}

std::optional<GraphPlugin::Caller> GraphPlugin::admit(api::HttpRequest& request,
                                                      api::HttpResponse& response, Access access) {
  if (!auth_) {
    api::sendJsonError(response, 401, "auth.disabled", "end-user auth is not configured",
                       {{"WWW-Authenticate", "Bearer"}});
    return std::nullopt;
  }
  auto self = auth_->requireUser(request, response, api::auth::unixNowMs());
  if (!self) return std::nullopt;
  Caller caller{std::move(*self), std::string(request.param("id")),
                std::string(request.param("target"))};
  if (!store::validUserId(caller.user) ||
      (!caller.target.empty() && !store::validUserId(caller.target))) {
    api::sendJsonError(response, 400, "social.bad_user",
                       "user ids are 1 to 64 characters of A-Z a-z 0-9 _ . @ -");
    return std::nullopt;
  }
  if (access != Access::kAnyUser && caller.user != caller.self) {
    api::sendJsonError(response, 403, "social.forbidden", "only your own graph can be changed");
    return std::nullopt;
  }
  if (access == Access::kSelfWrite) {
    if (caller.target == caller.user) {
      api::sendJsonError(response, 400, "social.self", "a user cannot follow or block themself");
      return std::nullopt;
    }
    uint32_t wait = writes_.take(caller.self, config_->writesPerSecond, config_->writeBurst,
                                 loop_->loop.nowMs());
    if (wait > 0) {
      api::sendJsonError(response, 429, "social.rate_limited", "too many changes, slow down",
                         {{"Retry-After", std::to_string(wait)}});
      return std::nullopt;
    }
  }
  return caller;
}

void GraphPlugin::follow(api::HttpRequest& request, const Response& response, const Caller& c) {
  auto body = parseFollowRequest(request.body);
  if (!body) return api::sendJsonError(*response, 400, body.error().code, body.error().message);
  bool notify = body->notify;
  graph_->follow(c.user, c.target, notify, [response, c, notify](core::Result<bool> created) {
    if (!created) return sendError(*response, created.error());
    sendJson(*response, *created ? 201 : 200,
             {{"user", c.user}, {"following", c.target}, {"notify", notify}});
  });
}

void GraphPlugin::unfollow(api::HttpRequest&, const Response& response, const Caller& c) {
  graph_->unfollow(c.user, c.target, [response](core::Result<bool> removed) {
    if (!removed) return sendError(*response, removed.error());
    response->send(204, api::HttpHeaders{});
  });
}

void GraphPlugin::isFollowing(api::HttpRequest&, const Response& response, const Caller& c) {
  graph_->edge(c.user, c.target, [response](core::Result<std::optional<store::Edge>> edge) {
    if (!edge) return sendError(*response, edge.error());
    if (!*edge) return sendJson(*response, 200, {{"following", false}});
    json view = edgeView(**edge);
    view["following"] = true;
    sendJson(*response, 200, view);
  });
}

void GraphPlugin::page(api::HttpRequest& request, const Response& response, const Caller& c,
                       bool followersSide) {
  auto limit =
      parseLimit(request.queryParam("limit"), config_->pageSizeDefault, config_->pageSizeMax);
  if (!limit) return api::sendJsonError(*response, 400, limit.error().code, limit.error().message);
  std::string cursor = request.queryParam("cursor").value_or("");
  auto done = [response](core::Result<store::Page> page) {
    if (!page) return sendError(*response, page.error());
    json items = json::array();
    for (const store::Edge& edge : page->items) items.push_back(edgeView(edge));
    sendJson(*response, 200,
             {{"items", items},
              {"next_cursor", page->nextCursor.empty() ? json(nullptr) : json(page->nextCursor)}});
  };
  if (followersSide) {
    graph_->followers(c.user, std::move(cursor), *limit, std::move(done));
  } else {
    graph_->following(c.user, std::move(cursor), *limit, std::move(done));
  }
}

void GraphPlugin::followers(api::HttpRequest& request, const Response& response, const Caller& c) {
  page(request, response, c, true);
}

void GraphPlugin::following(api::HttpRequest& request, const Response& response, const Caller& c) {
  page(request, response, c, false);
}

void GraphPlugin::counts(api::HttpRequest&, const Response& response, const Caller& c) {
  graph_->counts(c.user, [response](core::Result<store::Counts> counts) {
    if (!counts) return sendError(*response, counts.error());
    sendJson(*response, 200, {{"followers", counts->followers}, {"following", counts->following}});
  });
}

void GraphPlugin::mutual(api::HttpRequest& request, const Response& response, const Caller& c) {
  auto limit = parseLimit(request.queryParam("limit"), config_->mutualMax, config_->mutualMax);
  if (!limit) return api::sendJsonError(*response, 400, limit.error().code, limit.error().message);
  graph_->mutual(c.user, *limit, [response](core::Result<std::vector<std::string>> users) {
    if (!users) return sendError(*response, users.error());
    sendJson(*response, 200, {{"users", *users}});
  });
}

void GraphPlugin::block(api::HttpRequest&, const Response& response, const Caller& c) {
  graph_->block(c.user, c.target, [response, c](core::Result<bool> changed) {
    if (!changed) return sendError(*response, changed.error());
    sendJson(*response, 200, {{"user", c.user}, {"blocked", c.target}});
  });
}

void GraphPlugin::unblock(api::HttpRequest&, const Response& response, const Caller& c) {
  graph_->unblock(c.user, c.target, [response](core::Result<bool> changed) {
    if (!changed) return sendError(*response, changed.error());
    response->send(204, api::HttpHeaders{});
  });
}

void GraphPlugin::isBlocked(api::HttpRequest&, const Response& response, const Caller& c) {
  graph_->blocked(c.user, c.target, [response](core::Result<bool> blocked) {
    if (!blocked) return sendError(*response, blocked.error());
    sendJson(*response, 200, {{"blocked", *blocked}});
  });
}

void GraphPlugin::recommendations(api::HttpRequest& request, const Response& response,
                                  const Caller& c) {
  auto limit =
      parseLimit(request.queryParam("limit"), std::min<uint32_t>(20, config_->recommendationsMax),
                 config_->recommendationsMax);
  if (!limit) return api::sendJsonError(*response, 400, limit.error().code, limit.error().message);
  graph_->recommendations(c.user, *limit,
                          [response](core::Result<std::vector<store::Recommendation>> ranked) {
                            if (!ranked) return sendError(*response, ranked.error());
                            json users = json::array();
                            for (const auto& r : *ranked) {
                              users.push_back({{"user", r.user}, {"score", r.score}});
                            }
                            sendJson(*response, 200, {{"users", users}});
                          });
}

}  // namespace tidecast::social::graph
