// The follow graph's routes and api/openapi.yaml agree both ways: every /api/v1/users/...
// route GraphPlugin serves is documented with its method, and every documented
// /api/v1/users/... operation is served. Also the request parsers' accept/reject rules.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "api/admin/admin_plugin.h"
#include "api/router.h"
#include "api/websocket_dispatcher.h"
#include "core/log.h"
#include "social/graph/graph_plugin.h"

#include "core/data_dir_config.h"
#include "social/graph/graph_requests.h"
#include "social/store/social_store_plugin.h"
#include "tests/api/spec_operations.h"

namespace tidecast::social::graph {
namespace {

std::set<std::string> documentedUserOperations() {
  std::set<std::string> out;
  for (const auto& op : api::testing::specOperations()) {
    if (op.find(" /api/v1/users/") != std::string::npos) out.insert(op);
  }
  return out;
}

TEST(GraphApiSpec, EveryServedRouteIsInTheSpecAndEverySpecRouteIsServed) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tidecast-graph-spec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  core::Config config;
  config.edit<core::DataDirConfig>().path = dir.string();
  config.edit<api::auth::AuthConfig>().jwt.secret = "a-test-secret-of-some-length";
  api::testing::PluginMount mount(config);
  store::SocialStorePlugin stores;
  GraphPlugin graph;
  ASSERT_TRUE(stores.mount(mount.plugin).ok());
  ASSERT_TRUE(graph.mount(mount.plugin).ok());
  EXPECT_EQ(stores.graph().backend(), "sqlite");
  EXPECT_TRUE(std::filesystem::exists(dir / "social.db"));

  std::set<std::string> served = mount.servedOperations();
  std::set<std::string> documented = documentedUserOperations();
  EXPECT_EQ(documented.size(), 11u);
  for (const auto& op : served) EXPECT_TRUE(documented.count(op)) << op << " is not in the spec";
  for (const auto& op : documented) EXPECT_TRUE(served.count(op)) << op << " is not served";
  std::filesystem::remove_all(dir);
}

TEST(GraphRequests, FollowBodyIsEmptyOrANotifyFlag) {
  EXPECT_TRUE(parseFollowRequest("")->notify);
  EXPECT_TRUE(parseFollowRequest("{}")->notify);
  EXPECT_FALSE(parseFollowRequest(R"({"notify": false})")->notify);
  for (const char* bad : {"[]", "null", R"({"notify": "no"})", R"({"notify": true, "x": 1})", "{",
                          R"({"a":{"b":{"c":{"d":{"e":1}}}}})"}) {
    auto parsed = parseFollowRequest(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, "social.bad_request");
  }
  EXPECT_FALSE(parseFollowRequest(std::string(kMaxBodyBytes + 1, ' ')).ok());
}

TEST(GraphRequests, LimitIsAnIntegerInRange) {
  EXPECT_EQ(parseLimit(std::nullopt, 20, 100).value(), 20u);
  EXPECT_EQ(parseLimit("1", 20, 100).value(), 1u);
  EXPECT_EQ(parseLimit("100", 20, 100).value(), 100u);
  for (const char* bad : {"0", "101", "-1", "", "5x", "99999999999"}) {
    auto parsed = parseLimit(std::string(bad), 20, 100);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, "social.bad_limit");
  }
}

TEST(GraphRequests, UserIdsAreShortAndSafe) {
  EXPECT_TRUE(store::validUserId("alice"));
  EXPECT_TRUE(store::validUserId("user.name@example-1_x"));
  EXPECT_TRUE(store::validUserId(std::string(store::kMaxUserIdBytes, 'a')));
  for (std::string bad :
       {std::string(), std::string(store::kMaxUserIdBytes + 1, 'a'), std::string("a/b"),
        std::string("a{b}"), std::string("a b"), std::string("a:b")}) {
    EXPECT_FALSE(store::validUserId(bad)) << bad;
  }
}

}  // namespace
}  // namespace tidecast::social::graph
