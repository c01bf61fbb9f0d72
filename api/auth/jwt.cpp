#include "api/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "api/auth/crypto.h"

namespace tidecast::api::auth {

using core::makeError;
using nlohmann::json;

namespace {

constexpr int kMinRsaBits = 2048;
constexpr size_t kMaxJsonDepth = 16;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

enum class PemKind { kPublic, kPrivate };

PkeyPtr readPem(std::string_view pem, PemKind kind) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  EVP_PKEY* key = kind == PemKind::kPublic
                      ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)
                      : PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  return PkeyPtr(key);
}

bool isStrongRsa(EVP_PKEY* key) {
  return key != nullptr && EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= kMinRsaBits;
}

// JSON text → value, without exceptions and with a nesting limit (a token is hostile input).
std::optional<json> parseJson(std::string_view text) {
  size_t depth = 0;
  bool tooDeep = false;
  json::parser_callback_t limit = [&](int, json::parse_event_t event, json&) {
    if (event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) {
      if (++depth > kMaxJsonDepth) tooDeep = true;
    } else if (event == json::parse_event_t::object_end ||
               event == json::parse_event_t::array_end) {
      --depth;
    }
    return !tooDeep;
  };
  json value = json::parse(text.begin(), text.end(), limit, /*allow_exceptions=*/false);
  if (tooDeep || value.is_discarded()) return std::nullopt;
  return value;
}

core::Error malformed(std::string message) {
  return makeError("auth.malformed", std::move(message));
}

// A NumericDate claim in unix milliseconds; nullopt when it is not a finite number.
std::optional<int64_t> numericDateMs(const json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return std::nullopt;
  double seconds = it->get<double>();
  if (!std::isfinite(seconds) || std::fabs(seconds) > 1e13) return std::nullopt;
  return static_cast<int64_t>(seconds * 1000.0);
}

bool audienceMatches(const json& payload, const std::string& audience) {
  auto it = payload.find("aud");
  if (it == payload.end()) return false;
  if (it->is_string()) return it->get_ref<const std::string&>() == audience;
  if (!it->is_array()) return false;
  for (const auto& item : *it) {
    if (item.is_string() && item.get_ref<const std::string&>() == audience) return true;
  }
  return false;
}

core::Status checkTimes(const json& payload, int64_t nowMs, int64_t leewayMs) {
  if (!payload.contains("exp")) return malformed("the token has no exp claim");
  auto exp = numericDateMs(payload, "exp");
  if (!exp) return malformed("exp is not a number");
  if (nowMs - leewayMs >= *exp) return makeError("auth.expired", "the token has expired");
  for (const char* claim : {"nbf", "iat"}) {
    if (!payload.contains(claim)) continue;
    auto at = numericDateMs(payload, claim);
    if (!at) return malformed(std::string(claim) + " is not a number");
    if (*at > nowMs + leewayMs) {
      return makeError("auth.not_yet_valid",
                       std::string("the token's ") + claim + " lies in the future");
    }
  }
  return {};
}

}  // namespace

struct JwtVerifier::KeyHolder {
  PkeyPtr key;
};

std::string_view jwtAlgorithmName(JwtAlgorithm algorithm) {
  return algorithm == JwtAlgorithm::kHs256 ? "HS256" : "RS256";
}

JwtVerifier::JwtVerifier(JwtSettings settings, std::shared_ptr<const KeyHolder> key)
    : settings_(std::move(settings)), key_(std::move(key)) {}

core::Result<JwtVerifier> JwtVerifier::create(JwtSettings settings) {
  if (settings.algorithm == JwtAlgorithm::kHs256) {
    if (settings.secret.empty()) return makeError("auth.bad_key", "HS256 needs a secret");
    return JwtVerifier(std::move(settings), nullptr);
  }
  auto holder = std::make_shared<KeyHolder>();
  holder->key = readPem(settings.publicKeyPem, PemKind::kPublic);
  if (!isStrongRsa(holder->key.get())) {
    return makeError("auth.bad_key", "RS256 needs a PEM RSA public key of at least 2048 bits");
  }
  return JwtVerifier(std::move(settings), std::move(holder));
}

core::Result<JwtVerifier> JwtVerifier::fromConfig(const JwtConfig& config) {
  JwtSettings settings{config.algorithm, config.secret, "", config.audience, config.leewayMs};
  if (config.algorithm == JwtAlgorithm::kRs256) {
    std::ifstream file(config.publicKeyFile, std::ios::binary);
    if (!file) {
      return makeError("auth.bad_key",
                       "cannot read auth.jwt.public_key_file '" + config.publicKeyFile + "'");
    }
    std::ostringstream text;
    text << file.rdbuf();
    settings.publicKeyPem = text.str();
  }
  return create(std::move(settings));
}

bool JwtVerifier::signatureValid(std::string_view signingInput, std::string_view signature) const {
  if (settings_.algorithm == JwtAlgorithm::kHs256) {
    return constantTimeEqual(hmacSha256(settings_.secret, signingInput), signature);
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  if (!ctx) return false;
  // The default RSA padding for a verify context is PKCS#1 v1.5.
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(
             ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
             reinterpret_cast<const unsigned char*>(signingInput.data()), signingInput.size()) == 1;
}

core::Result<JwtClaims> JwtVerifier::verify(std::string_view token, int64_t nowUnixMs) const {
  if (token.size() > kMaxJwtBytes) return malformed("the token is too long");
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return malformed("a token has three dot-separated parts");
  }
  auto headerText = base64UrlDecode(token.substr(0, first));
  auto payloadText = base64UrlDecode(token.substr(first + 1, second - first - 1));
  auto signature = base64UrlDecode(token.substr(second + 1));
  if (!headerText || !payloadText || !signature) return malformed("a part is not base64url");

  auto header = parseJson(*headerText);
  if (!header || !header->is_object()) return malformed("the header is not a JSON object");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return malformed("the header has no alg");
  if (alg->get_ref<const std::string&>() != jwtAlgorithmName(settings_.algorithm)) {
    return makeError("auth.unsupported_alg",
                     "alg must be " + std::string(jwtAlgorithmName(settings_.algorithm)));
  }
  if (header->contains("crit")) {
    return makeError("auth.unsupported_alg", "critical header extensions are not supported");
  }
  if (!signatureValid(token.substr(0, second), *signature)) {
    return makeError("auth.bad_signature", "the signature does not verify");
  }

  auto payload = parseJson(*payloadText);
  if (!payload || !payload->is_object()) return malformed("the payload is not a JSON object");
  auto sub = payload->find("sub");
  if (sub == payload->end() || !sub->is_string() || sub->get_ref<const std::string&>().empty()) {
    return malformed("the token has no sub");
  }
  if (auto status = checkTimes(*payload, nowUnixMs, settings_.leewayMs); !status) {
    return status.error();
  }
  if (!settings_.audience.empty() && !audienceMatches(*payload, settings_.audience)) {
    return makeError("auth.bad_audience", "the token is not meant for " + settings_.audience);
  }
  return JwtClaims{sub->get<std::string>(), *numericDateMs(*payload, "exp") / 1000,
                   std::move(*payloadText)};
}

core::Result<std::string> signJwt(JwtAlgorithm algorithm, std::string_view key,
                                  std::string_view payloadJson) {
  std::string header =
      R"({"alg":")" + std::string(jwtAlgorithmName(algorithm)) + R"(","typ":"JWT"})";
  std::string input = base64UrlEncode(header) + "." + base64UrlEncode(payloadJson);
  if (algorithm == JwtAlgorithm::kHs256) {
    return input + "." + base64UrlEncode(hmacSha256(key, input));
  }
  PkeyPtr pkey = readPem(key, PemKind::kPrivate);
  if (!pkey || !EVP_PKEY_is_a(pkey.get(), "RSA")) {
    return makeError("auth.bad_key", "RS256 signing needs a PEM RSA private key");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return makeError("auth.sign_failed", "RS256 signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return makeError("auth.sign_failed", "RS256 signing failed");
  }
  signature.resize(length);
  return input + "." + base64UrlEncode(signature);
}

}  // namespace tidecast::api::auth
