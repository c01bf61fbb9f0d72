// The metrics: section (who may read /metrics) and the access decision it drives.
#include "api/metrics_config.h"

#include <gtest/gtest.h>

#include "api/api_sections.h"
#include "api/metrics_access.h"
#include "core/sha256.h"

namespace tidecast::api {
namespace {

// api/'s sections, as the server lists them.
const core::ConfigSchema& schema() {
  static const core::ConfigSchema s{configSections()};
  return s;
}

core::Result<core::Config> parse(std::string_view yaml) {
  return core::parseConfig(schema(), yaml, "m.yaml");
}

std::vector<std::string> texts(const std::vector<Cidr>& networks) {
  std::vector<std::string> out;
  out.reserve(networks.size());
  for (const Cidr& n : networks) out.push_back(n.text());
  return out;
}

TEST(MetricsConfig, DefaultsAllowLoopbackAndPrivateRangesAndNoToken) {
  core::Config config(schema());
  const MetricsConfig& metrics = config.get<MetricsConfig>();
  EXPECT_EQ(texts(metrics.allow),
            (std::vector<std::string>{"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12",
                                      "192.168.0.0/16", "fc00::/7"}));
  EXPECT_TRUE(metrics.tokenSha256.empty());
}

TEST(MetricsConfig, ParsesListsAndRejectsBadEntriesNamingWhereAndWhy) {
  const std::string digest(64, 'a');
  struct Case {
    std::string yaml;
    std::string error;  // "" when it must parse; otherwise the whole message
  };
  const Case cases[] = {
      {"metrics:\n  allow: [10.0.0.0/8, \"fd00::/8\"]\n", ""},
      {"metrics:\n  allow: []\n", ""},
      {"metrics:\n  allow:\n    - 192.168.1.5\n    - ::ffff:10.0.0.0/104\n", ""},
      {"metrics:\n  token_sha256: [" + digest + "]\n", ""},
      {"metrics:\n  allow: [10.0.0.1/8]\n",
       "m.yaml:2:11: metrics.allow: '10.0.0.1/8': bits are set past the prefix length (a "
       "network address, e.g. 10.0.0.0/8, not a host in it)"},
      {"metrics:\n  allow:\n    - 10.0.0.0/8\n    - 10.0.0.0/40\n",
       "m.yaml:4:7: metrics.allow: '10.0.0.0/40': the prefix length must be 0..32"},
      {"metrics:\n  allow: [\"::/200\"]\n",
       "m.yaml:2:11: metrics.allow: '::/200': the prefix length must be 0..128"},
      {"metrics:\n  allow: [intranet]\n",
       "m.yaml:2:11: metrics.allow: 'intranet': not an IPv4 or IPv6 address"},
      {"metrics:\n  allow: 10.0.0.0/8\n",
       "m.yaml:2:10: metrics.allow: expected a list of CIDR networks, got '10.0.0.0/8'"},
      {"metrics:\n  allow: [[10.0.0.0/8]]\n",
       "m.yaml:2:11: metrics.allow: expected a CIDR network (10.0.0.0/8, fc00::/7), got a "
       "sequence"},
      {"metrics:\n  token_sha256: [abc]\n",
       "m.yaml:2:18: metrics.token_sha256: expected 64 lower-case hex digits (tidecast "
       "--hash-token TOKEN prints them), got 'abc'"},
      {"metrics:\n  allowed: []\n", "m.yaml:2:3: unknown key 'metrics.allowed'"},
  };
  for (const Case& c : cases) {
    core::Result<core::Config> config = parse(c.yaml);
    if (c.error.empty()) {
      EXPECT_TRUE(config.ok()) << c.yaml << config.error().message;
    } else {
      ASSERT_FALSE(config.ok()) << c.yaml;
      EXPECT_EQ(config.error().message, c.error) << c.yaml;
    }
  }
}

TEST(MetricsConfig, ParsedListsHoldTheCanonicalNetworks) {
  auto config = parse("metrics:\n  allow: [\"::ffff:10.0.0.0/104\", 192.168.1.5, \"::1\"]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(texts(config->get<MetricsConfig>().allow),
            (std::vector<std::string>{"10.0.0.0/8", "192.168.1.5/32", "::1/128"}));
}

TEST(MetricsConfig, PrintedSectionReadsBackTheSame) {
  auto config = parse("metrics:\n  allow: [10.0.0.0/8, \"fd00::/8\", \"::1\"]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  auto again = core::parseConfig(schema(), core::printConfig(*config), "printed.yaml");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->get<MetricsConfig>(), config->get<MetricsConfig>());
  auto defaults = core::parseConfig(schema(), core::printConfig(core::Config(schema())), "d.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.error().message;
  EXPECT_EQ(defaults->get<MetricsConfig>(), MetricsConfig{});
}

TEST(MetricsConfig, ReloadAppliesBothListsLive) {
  core::Config live(schema());
  core::Config fresh = live;
  fresh.edit<MetricsConfig>().allow = {*Cidr::parse("10.0.0.0/8")};
  fresh.edit<MetricsConfig>().tokenSha256 = {std::string(64, 'b')};
  EXPECT_TRUE(core::applyReload(live, fresh).empty());
  EXPECT_EQ(live.get<MetricsConfig>(), fresh.get<MetricsConfig>());
}

HttpRequest requestFrom(std::string ip, const char* authorization = nullptr) {
  HttpRequest request;
  request.method = "GET";
  request.path = "/metrics";
  request.peer.ip = std::move(ip);
  if (authorization != nullptr) request.headers.emplace_back("authorization", authorization);
  return request;
}

TEST(MetricsAccess, AllowsListedAddressesOrListedTokens) {
  MetricsConfig withToken;
  withToken.allow = {*Cidr::parse("10.0.0.0/8")};
  withToken.tokenSha256 = {core::sha256Hex("scrape-token")};
  MetricsConfig defaults;
  struct Case {
    const MetricsConfig& config;
    std::string ip;
    const char* authorization;
    MetricsAccess access;
  };
  const Case cases[] = {
      {defaults, "127.0.0.1", nullptr, MetricsAccess::kAllowed},
      {defaults, "::1", nullptr, MetricsAccess::kAllowed},
      {defaults, "::ffff:127.0.0.1", nullptr, MetricsAccess::kAllowed},
      {defaults, "192.168.3.4", nullptr, MetricsAccess::kAllowed},
      {defaults, "172.20.0.1", nullptr, MetricsAccess::kAllowed},
      {defaults, "fd00::5", nullptr, MetricsAccess::kAllowed},
      {defaults, "203.0.113.9", nullptr, MetricsAccess::kForbidden},
      {defaults, "::ffff:203.0.113.9", nullptr, MetricsAccess::kForbidden},
      {defaults, "2001:db8::1", nullptr, MetricsAccess::kForbidden},
      {defaults, "203.0.113.9", "Bearer scrape-token", MetricsAccess::kUnauthorized},
      {withToken, "127.0.0.1", nullptr, MetricsAccess::kForbidden},
      {withToken, "10.2.3.4", nullptr, MetricsAccess::kAllowed},
      {withToken, "203.0.113.9", "Bearer scrape-token", MetricsAccess::kAllowed},
      {withToken, "127.0.0.1", "bearer scrape-token", MetricsAccess::kAllowed},
      {withToken, "203.0.113.9", "Bearer wrong-token", MetricsAccess::kUnauthorized},
      {withToken, "203.0.113.9", "Basic c2NyYXBlLXRva2Vu", MetricsAccess::kForbidden},
      {withToken, "10.2.3.4", "Bearer wrong-token", MetricsAccess::kAllowed},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(metricsAccess(c.config, requestFrom(c.ip, c.authorization)), c.access)
        << c.ip << " " << (c.authorization ? c.authorization : "(no token)");
  }
}

}  // namespace
}  // namespace tidecast::api
