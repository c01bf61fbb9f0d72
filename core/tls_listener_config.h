// The fields every TLS listener section shares (https:, rtmps:): address, certificate, key,
// ciphers, handshake timeout. Each listener's room declares its own section type deriving
// from TlsListenerConfig and adds these fields with addTlsListenerFields().
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"

namespace tidecast::core {

// Certificate, key, ciphers and the handshake timeout reload on SIGHUP (a file that fails to
// load keeps the running certificate); enabled/listen/port need a restart.
struct TlsListenerConfig {
  bool enabled = false;
  std::string listen = "0.0.0.0";
  uint16_t port = 0;
  std::string certFile{};      // PEM chain, leaf first
  std::string keyFile{};       // PEM private key
  std::string ciphers{};       // TLS 1.2 cipher list ("" = OpenSSL's default)
  std::string ciphersuites{};  // TLS 1.3 suites ("" = OpenSSL's default)
  uint32_t handshakeTimeoutMs = 10000;
  bool operator==(const TlsListenerConfig&) const = default;
};

template <class S>
SectionBuilder<S>& addTlsListenerFields(SectionBuilder<S>& b, const char* what) {
  using B = SectionBuilder<S>;
  using T = TlsListenerConfig;
  auto base = [](auto T::*m) {
    return [m](S & s) -> auto& { return static_cast<T&>(s).*m; };
  };
  return b
      .flag("enabled", base(&T::enabled), Reload::kRestart,
            std::string("Open the ") + what + " listener.")
      .text("listen", base(&T::listen), B::Empty::kRejected, Reload::kRestart,
            "Address it binds (IPv4 or IPv6).")
      .template integer<uint16_t>("port", base(&T::port), 1, 65535, "", Reload::kRestart,
                                  "TCP port.")
      .text("cert_file", base(&T::certFile), B::Empty::kAllowed, Reload::kLive,
            "PEM certificate chain, the server's certificate first. Required when enabled.")
      .text("key_file", base(&T::keyFile), B::Empty::kAllowed, Reload::kLive,
            "PEM private key of that certificate. Required when enabled.")
      .text("ciphers", base(&T::ciphers), B::Empty::kAllowed, Reload::kLive,
            "TLS 1.2 cipher list (OpenSSL syntax); \"\" keeps OpenSSL's default.")
      .text("ciphersuites", base(&T::ciphersuites), B::Empty::kAllowed, Reload::kLive,
            "TLS 1.3 cipher suites; \"\" keeps OpenSSL's default.")
      .template integer<uint32_t>("handshake_timeout_ms", base(&T::handshakeTimeoutMs), 1,
                                  kConfigMaxMillis, "ms", Reload::kLive,
                                  "Time allowed for the TLS handshake (new connections).");
}

}  // namespace tidecast::core
