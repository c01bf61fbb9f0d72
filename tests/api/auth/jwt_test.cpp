#include "api/auth/jwt.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <string>

#include "api/auth/crypto.h"

namespace tidecast::api::auth {
namespace {

constexpr int64_t kNowMs = 1'800'000'000'000;  // unix ms
constexpr int64_t kNow = kNowMs / 1000;
const std::string kSecret = "test-secret-of-some-length";

struct RsaKeyPair {
  std::string privatePem;
  std::string publicPem;
};

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(length));
}

RsaKeyPair generateRsa(unsigned bits) {
  EVP_PKEY* key = EVP_RSA_gen(bits);
  BIO* priv = BIO_new(BIO_s_mem());
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  PEM_write_bio_PUBKEY(pub, key);
  RsaKeyPair pair{bioText(priv), bioText(pub)};
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return pair;
}

const RsaKeyPair& rsa() {
  static const RsaKeyPair pair = generateRsa(2048);
  return pair;
}

std::string claims(const std::string& extra = "") {
  return R"({"sub":"user-42","aud":"tidecast","exp":)" + std::to_string(kNow + 600) + extra + "}";
}

JwtVerifier hsVerifier(std::string audience = "tidecast", int64_t leewayMs = 0) {
  return JwtVerifier::create({JwtAlgorithm::kHs256, kSecret, "", std::move(audience), leewayMs})
      .value();
}

JwtVerifier rsVerifier() {
  return JwtVerifier::create({JwtAlgorithm::kRs256, "", rsa().publicPem, "tidecast", 0}).value();
}

std::string hs(const std::string& payload, const std::string& secret = kSecret) {
  return signJwt(JwtAlgorithm::kHs256, secret, payload).value();
}

// A token with an arbitrary header, signed with HMAC over it.
std::string withHeader(const std::string& header, const std::string& payload,
                       const std::string& secret) {
  std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
  return input + "." + base64UrlEncode(hmacSha256(secret, input));
}

std::string errorCode(const core::Result<JwtClaims>& result) {
  return result ? "ok" : result.error().code;
}

TEST(Base64Url, RoundTripsAndRejectsNonCanonicalText) {
  for (std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
    EXPECT_EQ(base64UrlDecode(base64UrlEncode(text)), text);
  }
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_FALSE(base64UrlDecode("Zm9v="));  // padding
  EXPECT_FALSE(base64UrlDecode("Zm+v"));   // standard alphabet
  EXPECT_FALSE(base64UrlDecode("Zm9vY"));  // 4n+1 characters
  EXPECT_FALSE(base64UrlDecode("Zh"));     // non-zero trailing bits ("Zg" is canonical)
  EXPECT_TRUE(base64UrlDecode("Zg"));
}

TEST(JwtVerifier, AcceptsAValidHs256TokenAndReturnsTheSubject) {
  auto result = hsVerifier().verify(hs(claims()), kNowMs);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->subject, "user-42");
  EXPECT_EQ(result->expiresAt, kNow + 600);
}

TEST(JwtVerifier, RejectsATokenSignedWithAnotherSecret) {
  EXPECT_EQ(errorCode(hsVerifier().verify(hs(claims(), "other"), kNowMs)), "auth.bad_signature");
}

TEST(JwtVerifier, RejectsATamperedPayload) {
  std::string token = hs(claims());
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);
  std::string forged = token.substr(0, first + 1) +
                       base64UrlEncode(R"({"sub":"admin","aud":"tidecast","exp":)" +
                                       std::to_string(kNow + 600) + "}") +
                       token.substr(second);
  EXPECT_EQ(errorCode(hsVerifier().verify(forged, kNowMs)), "auth.bad_signature");
}

TEST(JwtVerifier, RejectsExpiredTokensBeyondTheLeeway) {
  std::string token = hs(R"({"sub":"u","aud":"tidecast","exp":)" + std::to_string(kNow - 10) + "}");
  EXPECT_EQ(errorCode(hsVerifier().verify(token, kNowMs)), "auth.expired");
  EXPECT_EQ(errorCode(hsVerifier("tidecast", 30000).verify(token, kNowMs)), "ok");
}

TEST(JwtVerifier, RejectsNotYetValidTokens) {
  std::string nbf = hs(claims(",\"nbf\":" + std::to_string(kNow + 60)));
  std::string iat = hs(claims(",\"iat\":" + std::to_string(kNow + 60)));
  EXPECT_EQ(errorCode(hsVerifier().verify(nbf, kNowMs)), "auth.not_yet_valid");
  EXPECT_EQ(errorCode(hsVerifier().verify(iat, kNowMs)), "auth.not_yet_valid");
  EXPECT_EQ(errorCode(hsVerifier("tidecast", 120000).verify(nbf, kNowMs)), "ok");
  EXPECT_EQ(
      errorCode(hsVerifier().verify(hs(claims(",\"nbf\":" + std::to_string(kNow - 1))), kNowMs)),
      "ok");
}

TEST(JwtVerifier, ChecksTheAudienceAsStringOrArray) {
  auto exp = std::to_string(kNow + 600);
  EXPECT_EQ(
      errorCode(hsVerifier().verify(hs(R"({"sub":"u","aud":"other","exp":)" + exp + "}"), kNowMs)),
      "auth.bad_audience");
  EXPECT_EQ(errorCode(hsVerifier().verify(hs(R"({"sub":"u","exp":)" + exp + "}"), kNowMs)),
            "auth.bad_audience");
  EXPECT_EQ(errorCode(hsVerifier().verify(
                hs(R"({"sub":"u","aud":["x","tidecast"],"exp":)" + exp + "}"), kNowMs)),
            "ok");
  EXPECT_EQ(errorCode(hsVerifier("").verify(hs(R"({"sub":"u","exp":)" + exp + "}"), kNowMs)), "ok");
}

TEST(JwtVerifier, RequiresSubAndExp) {
  auto exp = std::to_string(kNow + 600);
  EXPECT_EQ(errorCode(hsVerifier().verify(hs(R"({"aud":"tidecast","exp":)" + exp + "}"), kNowMs)),
            "auth.malformed");
  EXPECT_EQ(errorCode(hsVerifier().verify(hs(R"({"sub":42,"aud":"tidecast","exp":)" + exp + "}"),
                                          kNowMs)),
            "auth.malformed");
  EXPECT_EQ(errorCode(hsVerifier().verify(hs(R"({"sub":"u","aud":"tidecast"})"), kNowMs)),
            "auth.malformed");
  EXPECT_EQ(errorCode(hsVerifier().verify(hs(R"({"sub":"u","aud":"tidecast","exp":"x"})"), kNowMs)),
            "auth.malformed");
}

TEST(JwtVerifier, RejectsAlgNoneAndOtherAlgorithms) {
  std::string none = base64UrlEncode(R"({"alg":"none"})") + "." + base64UrlEncode(claims()) + ".";
  EXPECT_EQ(errorCode(hsVerifier().verify(none, kNowMs)), "auth.unsupported_alg");
  EXPECT_EQ(
      errorCode(hsVerifier().verify(withHeader(R"({"alg":"HS512"})", claims(), kSecret), kNowMs)),
      "auth.unsupported_alg");
  EXPECT_EQ(errorCode(hsVerifier().verify(
                withHeader(R"({"alg":"HS256","crit":["x"]})", claims(), kSecret), kNowMs)),
            "auth.unsupported_alg");
}

TEST(JwtVerifier, RejectsMalformedTokens) {
  std::string token = hs(claims());
  for (std::string bad : {std::string(""), std::string("a.b"), token + ".x", std::string("...."),
                          "!!." + token.substr(token.find('.') + 1), token + "=",
                          std::string(kMaxJwtBytes + 1, 'a')}) {
    EXPECT_EQ(errorCode(hsVerifier().verify(bad, kNowMs)), "auth.malformed") << bad.substr(0, 40);
  }
  EXPECT_EQ(errorCode(hsVerifier().verify(withHeader("[1]", claims(), kSecret), kNowMs)),
            "auth.malformed");
  EXPECT_EQ(errorCode(hsVerifier().verify(withHeader(R"({"alg":"HS256"})", "[]", kSecret), kNowMs)),
            "auth.malformed");
}

TEST(JwtVerifier, VerifiesRs256WithAGeneratedKey) {
  auto token = signJwt(JwtAlgorithm::kRs256, rsa().privatePem, claims());
  ASSERT_TRUE(token) << token.error().message;
  auto result = rsVerifier().verify(*token, kNowMs);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->subject, "user-42");
  // Another key's signature does not verify.
  static const RsaKeyPair other = generateRsa(2048);
  auto foreign = signJwt(JwtAlgorithm::kRs256, other.privatePem, claims());
  EXPECT_EQ(errorCode(rsVerifier().verify(*foreign, kNowMs)), "auth.bad_signature");
}

TEST(JwtVerifier, RefusesHs256SignedWithThePublicKeyWhenRs256IsConfigured) {
  // Algorithm confusion: an HMAC "signed" with the public key text as the secret.
  std::string forged = withHeader(R"({"alg":"HS256","typ":"JWT"})", claims(), rsa().publicPem);
  EXPECT_EQ(errorCode(rsVerifier().verify(forged, kNowMs)), "auth.unsupported_alg");
  // And an RS256 token is refused by an HS256 verifier.
  auto rs = signJwt(JwtAlgorithm::kRs256, rsa().privatePem, claims());
  EXPECT_EQ(errorCode(hsVerifier().verify(*rs, kNowMs)), "auth.unsupported_alg");
}

TEST(JwtVerifier, RefusesWeakOrMissingKeys) {
  EXPECT_FALSE(JwtVerifier::create({JwtAlgorithm::kHs256, "", "", "", 0}));
  EXPECT_FALSE(JwtVerifier::create({JwtAlgorithm::kRs256, "", "not a pem", "", 0}));
  EXPECT_FALSE(JwtVerifier::create({JwtAlgorithm::kRs256, "", generateRsa(1024).publicPem, "", 0}));
  EXPECT_FALSE(JwtVerifier::create({JwtAlgorithm::kRs256, "", rsa().privatePem, "", 0}));
}

}  // namespace
}  // namespace tidecast::api::auth
