#include "api/metrics_config.h"

#include "api/admin/admin_config.h"

namespace tidecast::api {

using core::Reload;

std::vector<Cidr> MetricsConfig::defaultAllow() {
  std::vector<Cidr> out;
  for (const char* text :
       {"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"}) {
    out.push_back(*Cidr::parse(text));
  }
  return out;
}

core::Status parseCidrList(const core::ConfigValue& v, std::vector<Cidr>& out) {
  constexpr std::string_view kType = "a list of CIDR networks";
  if (!v.node.IsSequence()) return v.invalid(kType);
  std::vector<Cidr> parsed;
  for (const auto& node : v.node) {
    core::ConfigValue item = v.at(node);
    if (!node.IsScalar()) return item.invalid("a CIDR network (10.0.0.0/8, fc00::/7)");
    core::Result<Cidr> cidr = Cidr::parse(node.Scalar());
    if (!cidr) {
      return core::makeError("config.invalid_value",
                             core::config_detail::position(item.file, item.mark) + ": " + item.key +
                                 ": " + cidr.error().message);
    }
    parsed.push_back(*cidr);
  }
  out = std::move(parsed);
  return {};
}

std::string renderCidrList(const std::vector<Cidr>& networks) {
  std::string out = "[";
  for (size_t i = 0; i < networks.size(); ++i) {
    out += (i > 0 ? ", " : "") + core::config_detail::renderScalar(networks[i].text());
  }
  return out + "]";
}

const core::ConfigSection& metricsConfigSection() {
  using C = MetricsConfig;
  using B = core::SectionBuilder<C>;
  static const core::ConfigSection section =
      B("metrics",
        "Who may read GET /metrics. The exposition lists every live stream and the process's "
        "figures: it is for the operator's scraper. A "
        "request is answered when its client address is in allow, or when it carries "
        "\"Authorization: Bearer <token>\" with a token listed in token_sha256; otherwise 403 "
        "(401 when a bearer token was sent but is not listed). Clients behind a proxy count "
        "by the proxy's address.")
          .custom<std::vector<Cidr>>(
              "allow", &C::allow, "a list of CIDR networks", Reload::kLive,
              "Client networks allowed without a token, IPv4 or IPv6 (10.0.0.0/8, fc00::/7; "
              "a bare address is one host). IPv4 clients of a dual-stack listener "
              "(::ffff:a.b.c.d) match the IPv4 networks. [] allows no address: tokens only.",
              parseCidrList, renderCidrList)
          .custom<std::vector<std::string>>(
              "token_sha256", &C::tokenSha256, "a list of hex SHA-256 digests", Reload::kLive,
              "Bearer tokens allowed from any address, as hex SHA-256 digests (`tidecast "
              "--hash-token TOKEN` prints one); Prometheus sends one with "
              "`authorization: {credentials: TOKEN}`.",
              admin::parseSha256List, admin::renderSha256List)
          .build();
  return section;
}

}  // namespace tidecast::api
