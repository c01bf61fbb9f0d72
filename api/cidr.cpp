#include "api/cidr.h"

#include <arpa/inet.h>

#include <algorithm>

#include "core/config.h"

namespace tidecast::api {

namespace {

constexpr std::array<uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr uint8_t kMappedBits = 96;

bool isMapped(const IpAddress& a) {
  return a.v6 && std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), a.bytes.begin());
}

IpAddress foldMapped(IpAddress a) {
  if (!isMapped(a)) return a;
  IpAddress v4;
  std::copy_n(a.bytes.begin() + kMappedPrefix.size(), 4, v4.bytes.begin());
  return v4;
}

uint8_t bitsOf(const IpAddress& a) { return a.v6 ? 128 : 32; }

// Whether a and b agree on their first `bits` bits.
bool samePrefix(const IpAddress& a, const IpAddress& b, uint8_t bits) {
  size_t whole = bits / 8;
  if (!std::equal(a.bytes.begin(), a.bytes.begin() + whole, b.bytes.begin())) return false;
  if (bits % 8 == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - bits % 8));
  return (a.bytes[whole] & mask) == (b.bytes[whole] & mask);
}

bool hostBitsClear(const IpAddress& a, uint8_t prefix) {
  for (uint8_t bit = prefix; bit < bitsOf(a); ++bit) {
    if (a.bytes[bit / 8] & (0x80 >> (bit % 8))) return false;
  }
  return true;
}

core::Error invalid(std::string_view text, std::string_view why) {
  return core::makeError("cidr.invalid",
                         core::config_detail::quoted(text) + ": " + std::string(why));
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton wants a NUL-terminated string; an address is at most 45 characters.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string copy(text);
  IpAddress out;
  if (inet_pton(AF_INET, copy.c_str(), out.bytes.data()) == 1) return out;
  out.v6 = true;
  if (inet_pton(AF_INET6, copy.c_str(), out.bytes.data()) == 1) return foldMapped(out);
  return std::nullopt;
}

core::Result<Cidr> Cidr::parse(std::string_view text) {
  size_t slash = text.find('/');
  std::string_view addressText = text.substr(0, slash);
  // Parsed without folding first: the prefix length counts the bits of the form written.
  std::optional<IpAddress> address = IpAddress::parse(addressText);
  if (!address) return invalid(text, "not an IPv4 or IPv6 address");
  bool written6 = addressText.find(':') != std::string_view::npos;
  uint8_t bits = written6 ? 128 : 32;
  uint64_t prefix = bits;
  if (slash != std::string_view::npos &&
      (!core::config_detail::parseDecimal(text.substr(slash + 1), prefix) || prefix > bits)) {
    return invalid(text, "the prefix length must be 0.." + std::to_string(bits));
  }
  Cidr cidr;
  cidr.network_ = *address;
  cidr.prefix_ = static_cast<uint8_t>(prefix);
  if (written6 && !address->v6) {  // IPv4-mapped: the IPv4 network it maps
    if (prefix < kMappedBits) return invalid(text, "an IPv4-mapped network needs /96 or longer");
    cidr.prefix_ = static_cast<uint8_t>(prefix - kMappedBits);
  }
  if (!hostBitsClear(cidr.network_, cidr.prefix_)) {
    return invalid(text,
                   "bits are set past the prefix length (a network address, e.g. "
                   "10.0.0.0/8, not a host in it)");
  }
  return cidr;
}

bool Cidr::contains(const IpAddress& address) const {
  return address.v6 == network_.v6 && samePrefix(address, network_, prefix_);
}

bool Cidr::contains(std::string_view address) const {
  std::optional<IpAddress> parsed = IpAddress::parse(address);
  return parsed && contains(*parsed);
}

std::string Cidr::text() const {
  char out[INET6_ADDRSTRLEN];
  inet_ntop(network_.v6 ? AF_INET6 : AF_INET, network_.bytes.data(), out, sizeof out);
  return std::string(out) + "/" + std::to_string(prefix_);
}

bool anyContains(const std::vector<Cidr>& networks, std::string_view address) {
  std::optional<IpAddress> parsed = IpAddress::parse(address);
  return parsed && std::any_of(networks.begin(), networks.end(),
                               [&](const Cidr& network) { return network.contains(*parsed); });
}

}  // namespace tidecast::api
