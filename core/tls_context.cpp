#include "core/tls_context.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <utility>

namespace tidecast::core {

namespace {

struct SslCtxFree {
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// ALPN's wire format: each name prefixed by its length (names of 1..255 bytes).
Result<std::string> alpnWire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& protocol : protocols) {
    if (protocol.empty() || protocol.size() > 255) {
      return makeError("tls.config", "invalid ALPN protocol name '" + protocol + "'");
    }
    wire += static_cast<char>(protocol.size());
    wire += protocol;
  }
  return wire;
}

std::string describeLeaf(SSL_CTX* context) {
  X509* leaf = SSL_CTX_get0_certificate(context);
  if (leaf == nullptr) return "no certificate";
  char subject[256] = {};
  X509_NAME_oneline(X509_get_subject_name(leaf), subject, sizeof(subject));
  std::string serial = "?";
  if (BIGNUM* number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), nullptr)) {
    if (char* hex = BN_bn2hex(number)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(number);
  }
  return std::string("subject=") + subject + " serial=" + serial;
}

Status configure(SSL_CTX* context, const TlsSettings& settings) {
  SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
  SSL_CTX_set_options(
      context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle connections give their record buffers back (many idle viewers hold little memory);
  // writes may complete partially and from a moved buffer (TcpStream encrypts Slices).
  SSL_CTX_set_mode(context, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                                SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!settings.ciphers.empty() &&
      SSL_CTX_set_cipher_list(context, settings.ciphers.c_str()) != 1) {
    return makeError("tls.config", "ciphers '" + settings.ciphers +
                                       "': " + takeOpenSslErrors("no usable cipher"));
  }
  if (!settings.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(context, settings.ciphersuites.c_str()) != 1) {
    return makeError("tls.config", "ciphersuites '" + settings.ciphersuites +
                                       "': " + takeOpenSslErrors("no usable suite"));
  }
  if (SSL_CTX_use_certificate_chain_file(context, settings.certFile.c_str()) != 1) {
    return makeError("tls.cert", settings.certFile + ": " +
                                     takeOpenSslErrors("cannot read the certificate chain"));
  }
  if (SSL_CTX_use_PrivateKey_file(context, settings.keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    return makeError("tls.key",
                     settings.keyFile + ": " + takeOpenSslErrors("cannot read the private key"));
  }
  if (SSL_CTX_check_private_key(context) != 1) {
    return makeError("tls.key", settings.keyFile + ": " +
                                    takeOpenSslErrors("key does not match the certificate"));
  }
  return {};
}

}  // namespace

std::string takeOpenSslErrors(std::string_view fallback) {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text.empty() ? std::string(fallback) : text;
}

Result<std::shared_ptr<TlsContext>> TlsContext::load(const TlsSettings& settings) {
  if (settings.certFile.empty() || settings.keyFile.empty()) {
    return makeError("tls.config", "cert_file and key_file are both required");
  }
  auto wire = alpnWire(settings.alpn);
  if (!wire) return wire.error();
  ERR_clear_error();
  SslCtxPtr context(SSL_CTX_new(TLS_server_method()));
  if (!context) return makeError("tls.config", takeOpenSslErrors("SSL_CTX_new failed"));
  if (auto status = configure(context.get(), settings); !status) return status.error();
  auto tls = std::make_shared<TlsContext>(context.release(), std::move(*wire));
  return tls;
}

TlsContext::TlsContext(SSL_CTX* context, std::string alpnWire)
    : context_(context), alpnWire_(std::move(alpnWire)), description_(describeLeaf(context)) {
  // The callback reads alpnWire_: the SSL_CTX never outlives this object.
  if (!alpnWire_.empty()) SSL_CTX_set_alpn_select_cb(context_, &TlsContext::selectAlpn, this);
}

TlsContext::~TlsContext() { SSL_CTX_free(context_); }

int TlsContext::selectAlpn(SSL*, const unsigned char** out, unsigned char* outLength,
                           const unsigned char* in, unsigned int inLength, void* arg) {
  const auto* self = static_cast<const TlsContext*>(arg);
  unsigned char* selected = nullptr;
  const auto* ours = reinterpret_cast<const unsigned char*>(self->alpnWire_.data());
  if (SSL_select_next_proto(&selected, outLength, ours,
                            static_cast<unsigned>(self->alpnWire_.size()), in,
                            inLength) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

TlsAcceptor::TlsAcceptor(std::string name, std::shared_ptr<TlsContext> context,
                         uint32_t handshakeTimeoutMs, MetricsRegistry& metrics, spdlog::logger& log)
    : name_(std::move(name)),
      context_(std::move(context)),
      handshakeTimeoutMs_(handshakeTimeoutMs),
      log_(log),
      succeeded_(metrics.counter("tidecast_core_tls_handshakes_total", "TLS handshakes by result",
                                 {{"listener", name_}, {"result", "ok"}})),
      failed_(metrics.counter("tidecast_core_tls_handshakes_total", "TLS handshakes by result",
                              {{"listener", name_}, {"result", "failed"}})) {}

void TlsAcceptor::handshakeSucceeded(std::string_view peer, std::string_view details) {
  succeeded_.inc();
  log_.debug("tls.handshake listener={} peer={} {}", name_, peer, details);
}

void TlsAcceptor::handshakeFailed(std::string_view peer, std::string_view reason) {
  failed_.inc();
  log_.info("tls.handshake_failed listener={} peer={} reason=\"{}\"", name_, peer, reason);
}

}  // namespace tidecast::core
