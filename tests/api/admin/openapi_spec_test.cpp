// The admin API and its OpenAPI document agree both ways: every /api/v1 route the plug-in
// serves is in api/openapi.yaml with its method, and every path and method in the document
// is served. Also checks the token, access and rate-limit rules of AdminAuth.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "api/admin/admin_auth.h"
#include "api/admin/admin_plugin.h"
#include "api/admin/stream_key_store.h"
#include "api/router.h"
#include "api/websocket_dispatcher.h"
#include "core/data_dir_config.h"
#include "core/log.h"
#include "tests/api/spec_operations.h"

namespace tidecast::api::admin {
namespace {

TEST(AdminApiSpec, EveryServedRouteIsInTheSpecAndEverySpecRouteIsServed) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tidecast-admin-spec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  core::Config config;
  config.edit<core::DataDirConfig>().path = dir.string();
  testing::PluginMount mount(config);
  AdminPlugin admin;
  ASSERT_TRUE(admin.mount(mount.plugin).ok());

  std::set<std::string> served;
  for (const auto& op : mount.servedOperations()) {
    if (op.find(" /api/v1/") != std::string::npos) served.insert(op);
  }
  // The social graph's routes (/api/v1/users/...) are social/graph's, checked in
  // tests/social/graph/graph_spec_test.cpp.
  std::set<std::string> documented;
  for (const auto& op : api::testing::specOperations()) {
    if (op.find(" /api/v1/users/") == std::string::npos) documented.insert(op);
  }
  EXPECT_FALSE(served.empty());
  for (const auto& op : served) EXPECT_TRUE(documented.count(op)) << op << " is not in the spec";
  for (const auto& op : documented) EXPECT_TRUE(served.count(op)) << op << " is not served";
  std::filesystem::remove_all(dir);
}

TEST(AdminAuth, FullReadAndUnknownTokens) {
  AdminConfig config;
  config.tokenSha256 = {sha256Hex("full-access-token-123")};
  config.readTokenSha256 = {sha256Hex("read-access-token-456")};
  AdminAuth auth(config, sha256Hex("generated-token-is-ignored-when-tokens-are-listed"));
  EXPECT_EQ(auth.accessOf("full-access-token-123"), Access::kFull);
  EXPECT_EQ(auth.accessOf("read-access-token-456"), Access::kRead);
  EXPECT_EQ(auth.accessOf("generated-token-is-ignored-when-tokens-are-listed"), std::nullopt);
  EXPECT_EQ(auth.accessOf(""), std::nullopt);
  EXPECT_EQ(auth.accessOf("full-access-token-12"), std::nullopt);
}

TEST(AdminAuth, GeneratedTokenWhenTheConfigListsNone) {
  AdminConfig config;
  AdminAuth auth(config, sha256Hex("generated-token-0123456789"));
  EXPECT_EQ(auth.accessOf("generated-token-0123456789"), Access::kFull);
  EXPECT_EQ(auth.accessOf("something-else"), std::nullopt);
}

TEST(RateLimiter, BurstThenRefillAtTheRate) {
  RateLimiter limiter;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("a", 2, 3, 1000), 0u) << i;
  EXPECT_EQ(limiter.take("a", 2, 3, 1000), 1u) << "empty: retry after a second";
  EXPECT_EQ(limiter.take("b", 2, 3, 1000), 0u) << "buckets are per key";
  EXPECT_EQ(limiter.take("a", 2, 3, 1500), 0u) << "half a second refills one token";
  EXPECT_EQ(limiter.take("a", 2, 3, 1500), 1u);
}

TEST(StreamKeyTokens, RandomTokensAreUrlSafeAndDistinct) {
  std::string a = randomToken(24);
  std::string b = randomToken(24);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace tidecast::api::admin
