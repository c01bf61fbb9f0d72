// api::orderPlugins: mount order from what plug-ins offer and need, and the start-up errors.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "api/plugin.h"

namespace tidecast::api {
namespace {

struct Packagers {
  static constexpr std::string_view kServiceName = "the packagers";
};
struct Store {
  static constexpr std::string_view kServiceName = "the store";
};
struct Directory {
  static constexpr std::string_view kServiceName = "the directory";
};

class FakePlugin final : public Plugin {
 public:
  FakePlugin(std::string name, std::vector<ServiceKey> offers, std::vector<ServiceNeed> needs)
      : name_(std::move(name)), offers_(std::move(offers)), needs_(std::move(needs)) {}
  std::string_view name() const override { return name_; }
  std::vector<ServiceKey> offers() const override { return offers_; }
  std::vector<ServiceNeed> needs() const override { return needs_; }
  core::Status mount(PluginContext&) override { return {}; }

 private:
  std::string name_;
  std::vector<ServiceKey> offers_;
  std::vector<ServiceNeed> needs_;
};

using Plugins = std::vector<std::unique_ptr<Plugin>>;

void add(Plugins& plugins, std::string name, std::vector<ServiceKey> offers,
         std::vector<ServiceNeed> needs = {}) {
  plugins.push_back(
      std::make_unique<FakePlugin>(std::move(name), std::move(offers), std::move(needs)));
}

std::vector<std::string> names(const Plugins& plugins) {
  std::vector<std::string> out;
  for (const auto& p : plugins) out.emplace_back(p->name());
  return out;
}

TEST(PluginOrder, ProvidersMountFirstOtherwiseTheListedOrderHolds) {
  Plugins plugins;
  add(plugins, "routes", {});
  add(plugins, "hls", {}, {{service<Packagers>()}, {service<Store>(), /*optional=*/true}});
  add(plugins, "graph", {}, {{service<Store>()}});
  add(plugins, "cmaf", {service<Packagers>()});
  add(plugins, "store", {service<Store>()});
  ASSERT_TRUE(orderPlugins(plugins).ok());
  EXPECT_EQ(names(plugins), (std::vector<std::string>{"routes", "cmaf", "store", "hls", "graph"}));
}

TEST(PluginOrder, AnOptionalNeedNobodyOffersIsFine) {
  Plugins plugins;
  add(plugins, "admin", {}, {{service<Directory>(), /*optional=*/true}});
  ASSERT_TRUE(orderPlugins(plugins).ok());
  EXPECT_EQ(names(plugins), std::vector<std::string>{"admin"});
}

TEST(PluginOrder, AMissingServiceIsAStartUpErrorNamingIt) {
  Plugins plugins;
  add(plugins, "hls", {}, {{service<Packagers>()}});
  auto status = orderPlugins(plugins);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "plugin.missing_service");
  EXPECT_EQ(status.error().message, "plug-in 'hls' needs the packagers, which no plug-in offers");
}

TEST(PluginOrder, ACircularNeedIsAStartUpErrorNamingTheWaitingPlugins) {
  Plugins plugins;
  add(plugins, "routes", {});
  add(plugins, "a", {service<Store>()}, {{service<Directory>()}});
  add(plugins, "b", {service<Directory>()}, {{service<Store>()}});
  auto status = orderPlugins(plugins);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "plugin.circular_need");
  EXPECT_EQ(status.error().message,
            "plug-ins wait on each other: a needs the directory, b needs the store");
  EXPECT_EQ(plugins.size(), 3u) << "nothing is lost on an error";
}

TEST(PluginOrder, TwoPluginsOfferingOneServiceIsAnError) {
  Plugins plugins;
  add(plugins, "one", {service<Store>()});
  add(plugins, "two", {service<Store>()});
  auto status = orderPlugins(plugins);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "plugin.duplicate_service");
  EXPECT_EQ(status.error().message, "plug-ins 'one' and 'two' both offer the store");
}

TEST(PluginServices, OfferedServicesAreFoundByType) {
  Services services;
  Store store;
  EXPECT_EQ(services.find<Store>(), nullptr);
  services.offer(store);
  EXPECT_EQ(services.find<Store>(), &store);
  EXPECT_EQ(&services.get<Store>(), &store);
  EXPECT_EQ(services.find<Directory>(), nullptr);
}

}  // namespace
}  // namespace tidecast::api
