#include "api/websocket_config.h"

namespace tidecast::api {

using core::kConfigMaxBytes;
using core::kConfigMaxMillis;
using core::Reload;

const core::ConfigSection& websocketConfigSection() {
  using C = WebSocketConfig;
  static const core::ConfigSection section =
      core::SectionBuilder<C>(
          "websocket",
          "WebSocket (RFC 6455) on the HTTP listener: the JSON envelope protocol at /ws, a plain "
          "echo at /ws/echo, and whatever routes plug-ins register. Open connections use "
          "reloaded values from their next frame or timer on.")
          .integer("max_frame_bytes", &C::maxFrameBytes, 125, kConfigMaxBytes, "bytes",
                   Reload::kLive,
                   "Largest payload of one client frame; a larger frame closes the connection "
                   "with 1009.")
          .integer("max_message_bytes", &C::maxMessageBytes, 125, kConfigMaxBytes, "bytes",
                   Reload::kLive,
                   "Largest message reassembled from fragments; past it: close 1009.")
          .integer("ping_interval_ms", &C::pingIntervalMs, 100, kConfigMaxMillis, "ms",
                   Reload::kLive,
                   "How often the server pings each client (browsers answer by themselves).")
          .integer("idle_timeout_ms", &C::idleTimeoutMs, 100, kConfigMaxMillis, "ms", Reload::kLive,
                   "Time without any frame from the client (messages, pongs, pings) before the "
                   "server closes with 1001 \"idle timeout\". Keep it above ping_interval_ms.")
          .integer("close_timeout_ms", &C::closeTimeoutMs, 10, kConfigMaxMillis, "ms",
                   Reload::kLive,
                   "Time allowed for the close handshake: after our close frame, or after "
                   "echoing the client's, the TCP connection is dropped if the client has not "
                   "ended it.")
          .integer("max_send_backlog_bytes", &C::maxSendBacklogBytes, 1024, kConfigMaxBytes,
                   "bytes", Reload::kLive,
                   "Bytes queued for one client and not yet taken by its socket; a client that "
                   "falls further behind (or never reads) is closed with 1008 and dropped: the "
                   "server never waits for it.")
          .integer("max_connections", &C::maxConnections, 1, UINT32_MAX, "", Reload::kLive,
                   "Open WebSocket connections, all clients together; past it upgrades are "
                   "answered 503.")
          .build();
  return section;
}

}  // namespace tidecast::api
