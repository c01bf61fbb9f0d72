// Fuzzes JWT parsing and verification (api/auth/jwt.h). The first byte picks a mode:
//   0  the rest is a token, verified with a fixed HS256 secret
//   1  the rest is a token, verified with a fixed RS256 public key
//   2  the rest is a payload, signed with the HS256 secret and verified (reaches the claims)
//   3  the rest is "header\npayload", signed with the HS256 secret over that header
// A verified token must have a non-empty subject; nothing may crash or leak.
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/auth/crypto.h"
#include "api/auth/jwt.h"

namespace {

using tidecast::api::auth::JwtAlgorithm;
using tidecast::api::auth::JwtVerifier;

constexpr int64_t kNowMs = 1'800'000'000'000;
const std::string kSecret = "fuzz-secret";

std::string publicKeyPem() {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(length));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

const JwtVerifier& hs() {
  static const JwtVerifier verifier =
      JwtVerifier::create({JwtAlgorithm::kHs256, kSecret, "", "tidecast", 1000}).value();
  return verifier;
}

const JwtVerifier& rs() {
  static const JwtVerifier verifier =
      JwtVerifier::create({JwtAlgorithm::kRs256, "", publicKeyPem(), "tidecast", 1000}).value();
  return verifier;
}

void check(const tidecast::core::Result<tidecast::api::auth::JwtClaims>& result) {
  if (result && result->subject.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      check(hs().verify(rest, kNowMs));
      break;
    case 1:
      check(rs().verify(rest, kNowMs));
      break;
    case 2: {
      auto token = tidecast::api::auth::signJwt(JwtAlgorithm::kHs256, kSecret, rest);
      if (token) check(hs().verify(*token, kNowMs));
      break;
    }
    default: {
      size_t newline = rest.find('\n');
      std::string header = rest.substr(0, newline);
      std::string payload = newline == std::string::npos ? "" : rest.substr(newline + 1);
      using tidecast::api::auth::base64UrlEncode;
      std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payload);
      std::string token =
          input + "." + base64UrlEncode(tidecast::api::auth::hmacSha256(kSecret, input));
      check(hs().verify(token, kNowMs));
    }
  }
  return 0;
}
