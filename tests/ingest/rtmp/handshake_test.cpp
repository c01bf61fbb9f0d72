#include "ingest/rtmp/handshake.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "tests/ingest/rtmp/rtmp_test_util.h"

namespace tidecast::ingest::rtmp {
namespace {

using rtmptest::flatten;

constexpr size_t kBlock = kHandshakeBlockSize;

// The handshake keys, written out independently of handshake.cpp.
const std::string kPlayerKey = "Genuine Adobe Flash Player 001";
const std::string kServerKey = "Genuine Adobe Flash Media Server 001";
std::string keyTail() {
  static const char bytes[] =
      "\xF0\xEE\xC2\x4A\x80\x68\xBE\xE8\x2E\x00\xD0\xD1\x02\x9E\x7E\x57"
      "\x6E\xEC\x5D\x2D\x29\x80\x6F\xAB\x93\xB8\xE6\x36\xCF\xEB\x31\xAE";
  return std::string(bytes, 32);
}

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

// Digest position in a 1536-byte block: scheme 0 = key block then digest block (digest block
// at 772), scheme 1 = digest block first (at 8).
size_t digestPosition(const std::string& block, int scheme) {
  size_t start = scheme == 0 ? 772 : 8;
  size_t sum = 0;
  for (size_t i = 0; i < 4; ++i) sum += static_cast<uint8_t>(block[start + i]);
  return start + 4 + sum % 728;
}

std::string withoutDigest(const std::string& block, size_t position) {
  return block.substr(0, position) + block.substr(position + 32);
}

std::string randomBytes(size_t count) {
  std::string out(count, '\0');
  EXPECT_EQ(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)), 1);
  return out;
}

// A C1 as Flash Player 9+ builds it: non-zero version and a player-keyed digest.
std::string digestC1(int scheme) {
  std::string c1 =
      std::string("\0\0\0\0", 4) + std::string("\x09\x00\x7c\x02", 4) + randomBytes(kBlock - 8);
  size_t position = digestPosition(c1, scheme);
  c1.replace(position, 32, hmac(kPlayerKey, withoutDigest(c1, position)));
  return c1;
}

struct ServerReply {
  std::string s0, s1, s2;
};

ServerReply answer(Handshake& server, const std::string& c0c1) {
  auto consumed = server.consume(c0c1);
  EXPECT_TRUE(consumed.ok());
  std::string out = flatten(server.takeOutput());
  EXPECT_EQ(out.size(), 1 + 2 * kBlock);
  return {out.substr(0, 1), out.substr(1, kBlock), out.substr(1 + kBlock, kBlock)};
}

TEST(RtmpHandshake, ServerAndClientCompleteTheSimpleHandshake) {
  Handshake server;
  ClientHandshake client;
  std::string c0c1 = flatten(client.takeOutput());
  ASSERT_EQ(c0c1.size(), 1 + kBlock);
  auto consumed = server.consume(c0c1);
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(*consumed, c0c1.size());
  EXPECT_FALSE(server.done());
  EXPECT_EQ(server.mode(), HandshakeMode::kSimple);

  std::string s0s1s2 = flatten(server.takeOutput());
  ASSERT_EQ(s0s1s2.size(), 1 + 2 * kBlock);
  EXPECT_EQ(s0s1s2[0], 3);
  EXPECT_EQ(s0s1s2.substr(1 + 4, 4), std::string(4, '\0'));  // S1 zero field
  // S2 echoes C1's time and random bytes.
  EXPECT_EQ(s0s1s2.substr(1 + kBlock, 4), c0c1.substr(1, 4));
  EXPECT_EQ(s0s1s2.substr(1 + kBlock + 8), c0c1.substr(1 + 8));

  auto clientConsumed = client.consume(s0s1s2);
  ASSERT_TRUE(clientConsumed.ok()) << clientConsumed.error().message;
  EXPECT_EQ(*clientConsumed, s0s1s2.size());
  EXPECT_TRUE(client.done());
  std::string c2 = flatten(client.takeOutput());
  ASSERT_EQ(c2.size(), kBlock);
  EXPECT_EQ(c2.substr(8), s0s1s2.substr(1 + 8, kBlock - 8));  // C2 echoes S1

  consumed = server.consume(c2);
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(*consumed, kBlock);
  EXPECT_TRUE(server.done());
  EXPECT_TRUE(server.takeOutput().empty());
}

TEST(RtmpHandshake, LeavesBytesAfterC2ToTheChunkStream) {
  Handshake server;
  ClientHandshake client;
  std::string input = flatten(client.takeOutput()) + randomBytes(kBlock) + "chunks";
  auto consumed = server.consume(input);
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(*consumed, 1 + 2 * kBlock);
  EXPECT_TRUE(server.done());
  auto again = server.consume("more");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0u);
}

TEST(RtmpHandshake, CompletesWhenFedOneByteAtATime) {
  Handshake server;
  ClientHandshake client;
  auto pump = [](auto& from, auto& to) {
    std::string bytes = flatten(from.takeOutput());
    for (char byte : bytes) {
      auto consumed = to.consume(std::string_view(&byte, 1));
      ASSERT_TRUE(consumed.ok());
      ASSERT_EQ(*consumed, 1u);
    }
  };
  pump(client, server);  // C0 C1
  pump(server, client);  // S0 S1 S2
  ASSERT_TRUE(client.done());
  pump(client, server);  // C2
  EXPECT_TRUE(server.done());
}

TEST(RtmpHandshake, RejectsOtherVersionsAndStaysFailed) {
  Handshake server;
  auto result = server.consume(std::string("\x04") + std::string(kBlock, 'x'));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "rtmp.bad_version");
  EXPECT_TRUE(server.takeOutput().empty());
  auto again = server.consume("x");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "rtmp.bad_version");
}

TEST(RtmpHandshake, RejectsRtmpeWithAClearMessage) {
  Handshake server;
  auto result = server.consume("\x06");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "rtmp.bad_version");
  EXPECT_NE(result.error().message.find("RTMPE"), std::string::npos);
}

void expectDigestReply(int scheme) {
  Handshake server;
  std::string c1 = digestC1(scheme);
  ServerReply reply = answer(server, "\x03" + c1);
  EXPECT_EQ(server.mode(),
            scheme == 0 ? HandshakeMode::kDigestScheme0 : HandshakeMode::kDigestScheme1);
  EXPECT_EQ(reply.s0, "\x03");
  EXPECT_NE(reply.s1.substr(4, 4), std::string(4, '\0'));  // a server version

  // S1 carries a digest keyed with the 36-byte FMS key, in the client's scheme.
  size_t s1Position = digestPosition(reply.s1, scheme);
  EXPECT_EQ(reply.s1.substr(s1Position, 32), hmac(kServerKey, withoutDigest(reply.s1, s1Position)));

  // S2's last 32 bytes: HMAC(HMAC(full FMS key, C1 digest), S2 without them).
  std::string clientDigest = c1.substr(digestPosition(c1, scheme), 32);
  std::string s2Key = hmac(kServerKey + keyTail(), clientDigest);
  EXPECT_EQ(reply.s2.substr(kBlock - 32), hmac(s2Key, reply.s2.substr(0, kBlock - 32)));

  auto consumed = server.consume(randomBytes(kBlock));  // C2 is not checked
  ASSERT_TRUE(consumed.ok());
  EXPECT_TRUE(server.done());
}

TEST(RtmpHandshake, AnswersDigestScheme0WithServerDigests) { expectDigestReply(0); }
TEST(RtmpHandshake, AnswersDigestScheme1WithServerDigests) { expectDigestReply(1); }

TEST(RtmpHandshake, FallsBackToSimpleWhenNoDigestValidates) {
  Handshake server;
  std::string c1 =
      std::string("\0\0\0\0", 4) + std::string("\x0a\x00\x00\x01", 4) + randomBytes(kBlock - 8);
  ServerReply reply = answer(server, "\x03" + c1);
  EXPECT_EQ(server.mode(), HandshakeMode::kSimple);
  EXPECT_EQ(reply.s2.substr(8), c1.substr(8));
}

TEST(RtmpHandshake, ClientRejectsAnS2ThatDoesNotEchoC1) {
  ClientHandshake client;
  client.takeOutput();
  auto result = client.consume("\x03" + randomBytes(2 * kBlock));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "rtmp.bad_s2");
  EXPECT_TRUE(client.takeOutput().empty());
  EXPECT_FALSE(client.consume("x").ok());
}

TEST(RtmpHandshake, ClientRejectsABadServerVersion) {
  ClientHandshake client;
  auto result = client.consume("\x06");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, "rtmp.bad_version");
}

}  // namespace
}  // namespace tidecast::ingest::rtmp
