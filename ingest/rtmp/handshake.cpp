#include "ingest/rtmp/handshake.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace tidecast::ingest::rtmp {
namespace {

using Block = std::array<uint8_t, kHandshakeBlockSize>;
using Digest = std::array<uint8_t, 32>;

// Where each scheme's 764-byte digest block starts: scheme 0 has the key block first.
constexpr size_t kDigestBlockStart[2] = {8 + 764, 8};
// The digest lies at block start + 4 + (sum of the block's first 4 bytes) % 728; 728 = 764 -
// 4 (the offset bytes) - 32 (the digest).
constexpr size_t kDigestOffsetModulus = 728;

// The shared 32-byte tail of both keys (a protocol constant, spec'd by Adobe's players and
// servers). The Flash Player key is "Genuine Adobe Flash Player 001" + tail; the Flash Media
// Server key is "Genuine Adobe Flash Media Server 001" + tail. Client digests are keyed with
// the player text only (30 bytes), server digests with the server text only (36 bytes), and
// the S2 key derivation with the full server key (68 bytes).
constexpr uint8_t kKeyTail[32] = {0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0,
                                  0xD1, 0x02, 0x9E, 0x7E, 0x57, 0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80,
                                  0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE};
constexpr std::string_view kPlayerKeyText = "Genuine Adobe Flash Player 001";
constexpr std::string_view kServerKeyText = "Genuine Adobe Flash Media Server 001";

// The version field of a digest S1 (any non-zero value tells the client "digest handshake").
constexpr uint8_t kServerVersion[4] = {5, 0, 3, 1};

std::span<const uint8_t> bytesOf(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

std::array<uint8_t, 68> fullServerKey() {
  std::array<uint8_t, 68> key{};
  std::memcpy(key.data(), kServerKeyText.data(), kServerKeyText.size());
  std::memcpy(key.data() + kServerKeyText.size(), kKeyTail, sizeof kKeyTail);
  return key;
}

struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// HMAC-SHA256 of first + second, keyed with `key`. nullopt if OpenSSL fails.
std::optional<Digest> hmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> first,
                                 std::span<const uint8_t> second = {}) {
  // Fetched once per process; EVP_MAC objects are immutable and thread-safe to share.
  static const std::unique_ptr<EVP_MAC, MacDeleter> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
  if (!mac) return std::nullopt;
  std::unique_ptr<EVP_MAC_CTX, MacDeleter> ctx(EVP_MAC_CTX_new(mac.get()));
  if (!ctx) return std::nullopt;
  char digestName[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digestName, 0),
                         OSSL_PARAM_construct_end()};
  Digest out{};
  size_t outLength = 0;
  if (EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
      EVP_MAC_update(ctx.get(), first.data(), first.size()) != 1 ||
      EVP_MAC_update(ctx.get(), second.data(), second.size()) != 1 ||
      EVP_MAC_final(ctx.get(), out.data(), &outLength, out.size()) != 1 ||
      outLength != out.size()) {
    return std::nullopt;
  }
  return out;
}

size_t digestPosition(const uint8_t* block, int scheme) {
  size_t start = kDigestBlockStart[scheme];
  size_t sum = size_t{block[start]} + block[start + 1] + block[start + 2] + block[start + 3];
  return start + 4 + sum % kDigestOffsetModulus;
}

// HMAC of a 1536-byte block without the 32 digest bytes at `position`.
std::optional<Digest> blockDigest(const uint8_t* block, size_t position,
                                  std::span<const uint8_t> key) {
  return hmacSha256(key, {block, position},
                    {block + position + 32, kHandshakeBlockSize - position - 32});
}

// The scheme whose digest validates in C1, if any.
std::optional<int> clientDigestScheme(const Block& c1) {
  if (c1[4] == 0 && c1[5] == 0 && c1[6] == 0 && c1[7] == 0) return std::nullopt;  // old client
  for (int scheme : {0, 1}) {
    size_t position = digestPosition(c1.data(), scheme);
    auto digest = blockDigest(c1.data(), position, bytesOf(kPlayerKeyText));
    if (digest && std::memcmp(digest->data(), c1.data() + position, 32) == 0) return scheme;
  }
  return std::nullopt;
}

bool randomFill(uint8_t* bytes, size_t count) {
  return RAND_bytes(bytes, static_cast<int>(count)) == 1;
}

void writeUint32Be(uint8_t* p, uint32_t value) {
  p[0] = static_cast<uint8_t>(value >> 24);
  p[1] = static_cast<uint8_t>(value >> 16);
  p[2] = static_cast<uint8_t>(value >> 8);
  p[3] = static_cast<uint8_t>(value);
}

// Copies as much of `bytes` as fits into the block; returns how many.
size_t fillBlock(Block& block, size_t& filled, std::string_view bytes) {
  size_t count = std::min(bytes.size(), block.size() - filled);
  std::memcpy(block.data() + filled, bytes.data(), count);
  filled += count;
  return count;
}

core::Error versionError(uint8_t version) {
  std::string message = "unsupported RTMP version " + std::to_string(version);
  message += version == 6 ? " (RTMPE, encrypted RTMP, is not supported)" : " (expected 3)";
  return core::makeError("rtmp.bad_version", std::move(message));
}

core::Error randomError() {
  return core::makeError("rtmp.random_failed", "RAND_bytes failed while building a handshake");
}

// S1 and S2 of the digest handshake, written in place.
core::Status writeDigestReply(const Block& c1, int scheme, uint8_t* s1, uint8_t* s2) {
  std::memset(s1, 0, 4);  // time
  std::memcpy(s1 + 4, kServerVersion, 4);
  if (!randomFill(s1 + 8, kHandshakeBlockSize - 8) || !randomFill(s2, kHandshakeBlockSize)) {
    return randomError();
  }
  size_t position = digestPosition(s1, scheme);
  auto serverDigest = blockDigest(s1, position, bytesOf(kServerKeyText));

  size_t clientPosition = digestPosition(c1.data(), scheme);
  auto serverKey = fullServerKey();
  auto s2Key = hmacSha256(serverKey, {c1.data() + clientPosition, 32});
  std::optional<Digest> s2Digest;
  if (s2Key) s2Digest = hmacSha256(*s2Key, {s2, kHandshakeBlockSize - 32});
  if (!serverDigest || !s2Digest) {
    return core::makeError("rtmp.hmac_failed", "HMAC-SHA256 failed while building S1/S2");
  }
  std::memcpy(s1 + position, serverDigest->data(), 32);
  std::memcpy(s2 + kHandshakeBlockSize - 32, s2Digest->data(), 32);
  return {};
}

}  // namespace

// ---- server ---------------------------------------------------------------------------------

Handshake::Handshake() : start_(std::chrono::steady_clock::now()) {}

core::Result<size_t> Handshake::consume(std::string_view bytes) {
  size_t used = 0;
  while (used < bytes.size() && state_ != State::kDone) {
    switch (state_) {
      case State::kFailed:
        return error_;
      case State::kC0: {
        auto version = static_cast<uint8_t>(bytes[used++]);
        if (version != kRtmpVersion) {
          state_ = State::kFailed;
          error_ = versionError(version);
          return error_;
        }
        state_ = State::kC1;
        break;
      }
      case State::kC1:
        used += fillBlock(block_, filled_, bytes.substr(used));
        if (filled_ == block_.size()) {
          if (auto status = answerC1(); !status) {
            state_ = State::kFailed;
            error_ = status.error();
            return error_;
          }
          filled_ = 0;
          state_ = State::kC2;
        }
        break;
      case State::kC2:
        used += fillBlock(block_, filled_, bytes.substr(used));
        if (filled_ == block_.size()) state_ = State::kDone;
        break;
      case State::kDone:
        break;
    }
  }
  if (state_ == State::kFailed) return error_;
  return used;
}

core::Status Handshake::answerC1() {
  const Block& c1 = block_;
  std::optional<int> scheme = clientDigestScheme(c1);
  mode_ = !scheme ? HandshakeMode::kSimple
                  : (*scheme == 0 ? HandshakeMode::kDigestScheme0 : HandshakeMode::kDigestScheme1);

  core::SliceBuilder reply(1 + 2 * kHandshakeBlockSize);
  uint8_t* s0 = reply.data();
  uint8_t* s1 = s0 + 1;
  uint8_t* s2 = s1 + kHandshakeBlockSize;
  s0[0] = kRtmpVersion;
  if (scheme) {
    if (auto status = writeDigestReply(c1, *scheme, s1, s2); !status) return status;
  } else {
    std::memset(s1, 0, 8);  // time 0 (our epoch), zero
    if (!randomFill(s1 + 8, kHandshakeBlockSize - 8)) return randomError();
    std::memcpy(s2, c1.data(), kHandshakeBlockSize);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start_);
    writeUint32Be(s2 + 4, static_cast<uint32_t>(elapsed.count()));  // time2: when C1 was read
  }
  reply.commit(reply.capacity());
  output_.push_back(reply.finish());
  return {};
}

core::SliceList Handshake::takeOutput() { return std::exchange(output_, {}); }

// ---- client ---------------------------------------------------------------------------------

ClientHandshake::ClientHandshake() {
  std::memset(c1_.data(), 0, 8);  // time 0, zero version: asks for the simple handshake
  if (!randomFill(c1_.data() + 8, c1_.size() - 8)) {
    state_ = State::kFailed;
    error_ = randomError();
    return;
  }
  core::SliceBuilder c0c1(1 + kHandshakeBlockSize);
  c0c1.append(&kRtmpVersion, 1);
  c0c1.append(c1_.data(), c1_.size());
  output_.push_back(c0c1.finish());
}

core::Result<size_t> ClientHandshake::consume(std::string_view bytes) {
  if (state_ == State::kFailed) return error_;
  size_t used = 0;
  while (used < bytes.size() && state_ != State::kDone) {
    if (state_ == State::kS0) {
      auto version = static_cast<uint8_t>(bytes[used++]);
      if (version != kRtmpVersion) {
        state_ = State::kFailed;
        error_ = versionError(version);
        return error_;
      }
      state_ = State::kS1;
      continue;
    }
    used += fillBlock(block_, filled_, bytes.substr(used));
    if (filled_ < block_.size()) break;
    filled_ = 0;
    if (state_ == State::kS1) {
      std::memset(block_.data() + 4, 0, 4);  // C2 echoes S1; time2 0
      c2_ = core::Slice::copyOf(block_.data(), block_.size());
      state_ = State::kS2;
      continue;
    }
    // S2 must echo C1's time and random bytes (time2 is the server's).
    if (std::memcmp(block_.data(), c1_.data(), 4) != 0 ||
        std::memcmp(block_.data() + 8, c1_.data() + 8, c1_.size() - 8) != 0) {
      state_ = State::kFailed;
      error_ = core::makeError("rtmp.bad_s2", "S2 does not echo C1");
      return error_;
    }
    output_.push_back(std::move(c2_));
    state_ = State::kDone;
  }
  return used;
}

core::SliceList ClientHandshake::takeOutput() { return std::exchange(output_, {}); }

}  // namespace tidecast::ingest::rtmp
