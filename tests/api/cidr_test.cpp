#include "api/cidr.h"

#include <gtest/gtest.h>

namespace tidecast::api {
namespace {

TEST(Cidr, ParsesNetworksAndRejectsWhatIsNotOne) {
  struct Case {
    std::string_view input;
    std::string_view canonical;  // "" when parse must fail
    std::string_view why;        // part of the error message
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8", ""},
      {"0.0.0.0/0", "0.0.0.0/0", ""},
      {"192.168.1.7", "192.168.1.7/32", ""},
      {"192.168.1.7/32", "192.168.1.7/32", ""},
      {"fc00::/7", "fc00::/7", ""},
      {"::1", "::1/128", ""},
      {"::/0", "::/0", ""},
      {"2001:DB8::/32", "2001:db8::/32", ""},
      {"::ffff:10.0.0.0/104", "10.0.0.0/8", ""},
      {"10.0.0.1/8", "", "bits are set past the prefix length"},
      {"fc00::1/7", "", "bits are set past the prefix length"},
      {"10.0.0.0/33", "", "prefix length must be 0..32"},
      {"::/129", "", "prefix length must be 0..128"},
      {"10.0.0.0/", "", "prefix length must be 0..32"},
      {"10.0.0.0/-1", "", "prefix length must be 0..32"},
      {"10.0.0.0/8/8", "", "prefix length must be 0..32"},
      {"10.0.0/8", "", "not an IPv4 or IPv6 address"},
      {"256.0.0.0/8", "", "not an IPv4 or IPv6 address"},
      {"localhost", "", "not an IPv4 or IPv6 address"},
      {"", "", "not an IPv4 or IPv6 address"},
      {"/8", "", "not an IPv4 or IPv6 address"},
      {"fe80::1%eth0/64", "", "not an IPv4 or IPv6 address"},
      {"::ffff:0.0.0.0/80", "", "IPv4-mapped network needs /96 or longer"},
  };
  for (const Case& c : cases) {
    core::Result<Cidr> cidr = Cidr::parse(c.input);
    if (c.canonical.empty()) {
      ASSERT_FALSE(cidr.ok()) << c.input << " parsed as " << cidr->text();
      EXPECT_EQ(cidr.error().code, "cidr.invalid");
      EXPECT_NE(cidr.error().message.find(c.why), std::string::npos)
          << c.input << ": " << cidr.error().message;
    } else {
      ASSERT_TRUE(cidr.ok()) << c.input << ": " << cidr.error().message;
      EXPECT_EQ(cidr->text(), c.canonical) << c.input;
    }
  }
}

TEST(Cidr, MatchesAddressesInsideThePrefixOnly) {
  struct Case {
    std::string_view network;
    std::string_view address;
    bool inside;
  };
  const Case cases[] = {
      {"10.0.0.0/8", "10.255.1.2", true},
      {"10.0.0.0/8", "11.0.0.1", false},
      {"172.16.0.0/12", "172.31.255.255", true},
      {"172.16.0.0/12", "172.32.0.0", false},
      {"192.168.1.7", "192.168.1.7", true},
      {"192.168.1.7", "192.168.1.8", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"127.0.0.0/8", "::ffff:127.0.0.1", true},  // dual-stack listener, IPv4 client
      {"10.0.0.0/8", "::ffff:10.1.2.3", true},
      {"10.0.0.0/8", "::ffff:11.1.2.3", false},
      {"::ffff:10.0.0.0/104", "10.9.9.9", true},
      {"::1/128", "::1", true},
      {"::1/128", "::2", false},
      {"fc00::/7", "fd12:3456::1", true},
      {"fc00::/7", "fe80::1", false},
      {"::/0", "2001:db8::1", true},
      {"::/0", "127.0.0.1", false},  // families never mix
      {"0.0.0.0/0", "::1", false},
      {"127.0.0.0/8", "not an address", false},
      {"127.0.0.0/8", "", false},
  };
  for (const Case& c : cases) {
    core::Result<Cidr> cidr = Cidr::parse(c.network);
    ASSERT_TRUE(cidr.ok()) << c.network;
    EXPECT_EQ(cidr->contains(c.address), c.inside) << c.network << " ∋ " << c.address;
  }
}

TEST(Cidr, AnyContainsChecksEveryNetwork) {
  std::vector<Cidr> networks = {*Cidr::parse("10.0.0.0/8"), *Cidr::parse("::1")};
  EXPECT_TRUE(anyContains(networks, "10.1.1.1"));
  EXPECT_TRUE(anyContains(networks, "::1"));
  EXPECT_FALSE(anyContains(networks, "127.0.0.1"));
  EXPECT_FALSE(anyContains({}, "127.0.0.1"));
}

}  // namespace
}  // namespace tidecast::api
