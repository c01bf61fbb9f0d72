// IP networks in CIDR notation (10.0.0.0/8, fc00::/7) and whether a client's address is in
// one: the address rules of endpoints such as /metrics (api/metrics_config.h). An IPv4-mapped
// IPv6 address (::ffff:10.1.2.3, what a dual-stack listener reports for an IPv4 client) is
// the IPv4 address it maps, so it matches IPv4 networks. Plain values, any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tidecast::api {

// An IPv4 or IPv6 address, IPv4-mapped IPv6 folded to IPv4.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; the first 4 for IPv4

  // Textual IPv4 or IPv6 (core::PeerAddress::ip); nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  bool operator==(const IpAddress&) const = default;
};

class Cidr {
 public:
  // "10.0.0.0/8", "fc00::/7"; a bare address is that one host (/32, /128). A network under
  // ::ffff:0:0/96 is the IPv4 network it maps. Error code cidr.invalid, the message says why
  // (not an address, a prefix length out of range, bits set past the prefix).
  static core::Result<Cidr> parse(std::string_view text);

  bool contains(const IpAddress& address) const;
  // False for text that is not an address.
  bool contains(std::string_view address) const;
  // The canonical form: "10.0.0.0/8", "fc00::/7".
  std::string text() const;
  bool operator==(const Cidr&) const = default;

 private:
  IpAddress network_;
  uint8_t prefix_ = 0;
};

// Whether any of `networks` contains `address` (text); false for an empty list.
bool anyContains(const std::vector<Cidr>& networks, std::string_view address);

}  // namespace tidecast::api
