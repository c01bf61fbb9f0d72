// Server-side TLS contexts (OpenSSL 3). A TlsContext is one immutable SSL_CTX built from a PEM
// certificate chain and private key: TLS 1.2 minimum, OpenSSL's default ciphers unless pinned,
// renegotiation and compression off, optional ALPN. A TlsAcceptor is what one TLS listener
// shares with its connections: the current context (replaced on SIGHUP; connections keep the
// context they started with through their shared_ptr), the handshake timeout and the
// handshake counters. Certificate files are read in TlsContext::load only, which the server
// calls at start-up and on reload. Loop thread only.
#pragma once

#include <openssl/types.h>
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics.h"
#include "core/result.h"

namespace tidecast::core {

struct TlsSettings {
  std::string certFile;           // PEM: the leaf certificate first, then intermediates
  std::string keyFile;            // PEM private key of the leaf
  std::vector<std::string> alpn;  // protocols we accept, in our order ("http/1.1"); {} = none
  std::string ciphers;            // TLS 1.2 cipher list; "" keeps OpenSSL's default
  std::string ciphersuites;       // TLS 1.3 suites; "" keeps OpenSSL's default
};

class TlsContext {
 public:
  // Reads the files and builds the context. Errors carry OpenSSL's text:
  //   tls.config  missing file names, a cipher list OpenSSL rejects
  //   tls.cert    the certificate chain cannot be read
  //   tls.key     the key cannot be read, or does not match the certificate
  static Result<std::shared_ptr<TlsContext>> load(const TlsSettings& settings);

  TlsContext(SSL_CTX* context, std::string alpnWire);  // takes ownership; use load()
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* raw() const { return context_; }
  // "subject=/CN=... serial=0A1B..." of the leaf certificate, for logs.
  const std::string& description() const { return description_; }

 private:
  static int selectAlpn(SSL* ssl, const unsigned char** out, unsigned char* outLength,
                        const unsigned char* in, unsigned int inLength, void* arg);

  SSL_CTX* context_;
  std::string alpnWire_;  // length-prefixed protocol names, as ALPN carries them
  std::string description_;
};

class TlsAcceptor {
 public:
  // `name` labels the metrics and logs ("https", "rtmps").
  TlsAcceptor(std::string name, std::shared_ptr<TlsContext> context, uint32_t handshakeTimeoutMs,
              MetricsRegistry& metrics, spdlog::logger& log);

  const std::string& name() const { return name_; }
  // The context new connections start with.
  const std::shared_ptr<TlsContext>& context() const { return context_; }
  void replace(std::shared_ptr<TlsContext> context) { context_ = std::move(context); }
  uint32_t handshakeTimeoutMs() const { return handshakeTimeoutMs_; }
  void setHandshakeTimeoutMs(uint32_t ms) { handshakeTimeoutMs_ = ms; }

  // Called by TcpStream when a handshake ends.
  void handshakeSucceeded(std::string_view peer, std::string_view details);
  void handshakeFailed(std::string_view peer, std::string_view reason);

 private:
  std::string name_;
  std::shared_ptr<TlsContext> context_;
  uint32_t handshakeTimeoutMs_;
  spdlog::logger& log_;
  Counter& succeeded_;
  Counter& failed_;
};

// The OpenSSL error queue of this thread as one line ("...; ..."), emptied. `fallback` when the
// queue holds nothing.
std::string takeOpenSslErrors(std::string_view fallback);

}  // namespace tidecast::core
