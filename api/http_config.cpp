#include "api/http_config.h"

namespace tidecast::api {

using core::kConfigMaxBytes;
using core::kConfigMaxMillis;
using core::Reload;

const core::ConfigSection& httpConfigSection() {
  using B = core::SectionBuilder<HttpConfig>;
  auto limit = [](auto HttpLimits::*m) { return B::member(&HttpConfig::limits, m); };
  static const core::ConfigSection section =
      B("http", "The HTTP listener: media, API, pages and WebSocket.")
          .text("listen", &HttpConfig::listen, B::Empty::kRejected, Reload::kRestart,
                "Address the HTTP listener binds. 0.0.0.0 is every IPv4 interface; use "
                "127.0.0.1 for local only.")
          .integer("port", &HttpConfig::port, 1, 65535, "", Reload::kRestart,
                   "TCP port of the HTTP listener.")
          .text("cors_allow_origin", &HttpConfig::corsAllowOrigin, B::Empty::kAllowed,
                Reload::kLive,
                "Value of the Access-Control-Allow-Origin header on API and media responses; "
                "\"\" sends no CORS headers.")
          .integer<size_t>("limits.max_header_bytes", limit(&HttpLimits::maxHeaderBytes), 1,
                           kConfigMaxBytes, "bytes", Reload::kLive,
                           "Largest request head (request line plus headers); a longer one is "
                           "answered 431 and the connection is closed (for connections opened "
                           "after a reload).")
          .integer<size_t>("limits.max_body_bytes", limit(&HttpLimits::maxBodyBytes), 1,
                           kConfigMaxBytes, "bytes", Reload::kLive,
                           "Largest request body; a longer one is answered 413.")
          .integer<uint32_t>("limits.header_timeout_ms", limit(&HttpLimits::headerTimeoutMs), 1,
                             kConfigMaxMillis, "ms", Reload::kLive,
                             "Time allowed for a whole request head to arrive, counted from the "
                             "connection's start (first request) or the request's first byte "
                             "(later ones); past it the client gets 408 and the connection is "
                             "closed (slowloris).")
          .integer<uint32_t>("limits.idle_timeout_ms", limit(&HttpLimits::idleTimeoutMs), 1,
                             kConfigMaxMillis, "ms", Reload::kLive,
                             "Time a keep-alive connection may sit idle between requests before "
                             "it is closed.")
          .integer<uint32_t>("limits.max_connections", limit(&HttpLimits::maxConnections), 1,
                             UINT32_MAX, "", Reload::kLive,
                             "Open HTTP connections, all clients together; past it new "
                             "connections are turned away.")
          .integer<uint32_t>("limits.max_connections_per_ip",
                             limit(&HttpLimits::maxConnectionsPerIp), 1, UINT32_MAX, "",
                             Reload::kLive,
                             "Open HTTP connections from one client address; past it that "
                             "address's new connections are turned away.")
          .integer<uint32_t>("limits.max_pipelined", limit(&HttpLimits::maxPipelined), 1,
                             UINT32_MAX, "", Reload::kLive,
                             "Pipelined requests one connection may have parsed ahead of their "
                             "responses.")
          .integer<size_t>("limits.max_response_backlog_bytes",
                           limit(&HttpLimits::maxResponseBacklogBytes), 1, kConfigMaxBytes, "bytes",
                           Reload::kLive,
                           "Response bytes queued but not yet sent on one connection; a slower "
                           "client is dropped past it (the server never waits for a viewer).")
          .build();
  return section;
}

const core::ConfigSection& httpsConfigSection() {
  static const core::ConfigSection section = [] {
    core::SectionBuilder<HttpsConfig> b(
        "https",
        "HTTPS (and WSS) listener: the same routes, limits and WebSocket endpoints as http:, "
        "over TLS 1.2 or 1.3 (OpenSSL 3; ALPN offers http/1.1). Needs a certificate: for a "
        "test,\n"
        "  openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 \\\n"
        "    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "Certificate and key are read at start-up and again on every SIGHUP (the files may "
        "change under the same names): new connections get the new certificate, open ones "
        "keep theirs; a file that fails to load keeps the running certificate and logs "
        "tls.reload_failed.");
    return core::addTlsListenerFields(b, "HTTPS").build();
  }();
  return section;
}

}  // namespace tidecast::api
