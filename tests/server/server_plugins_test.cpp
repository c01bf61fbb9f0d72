// The server's own plug-in list: every need is offered, in an order that mounts (a missing or
// circular need would stop every start).
#include <gtest/gtest.h>

#include "server/server.h"

namespace tidecast::server {
namespace {

TEST(ServerPlugins, EveryNeedIsOfferedAndTheListOrders) {
  auto plugins = makePlugins();
  ASSERT_TRUE(api::orderPlugins(plugins).ok());
  std::vector<std::string> order;
  for (const auto& p : plugins) order.emplace_back(p->name());
  auto before = [&order](std::string_view a, std::string_view b) {
    return std::find(order.begin(), order.end(), a) < std::find(order.begin(), order.end(), b);
  };
  EXPECT_TRUE(before("cmaf", "ll-hls"));
  EXPECT_TRUE(before("cmaf", "ll-dash"));
  EXPECT_TRUE(before("cmaf", "transcode"));
  EXPECT_TRUE(before("transcode", "ll-hls"));
  EXPECT_TRUE(before("transcode", "admin"));
  EXPECT_TRUE(before("social.store", "social.graph"));
  EXPECT_TRUE(before("playback-guard", "ll-hls")) << "access checks before the routes they guard";
}

}  // namespace
}  // namespace tidecast::server
