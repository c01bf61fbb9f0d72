#include "ingest/rtmp/rtmp_config.h"

namespace tidecast::ingest::rtmp {

using core::kConfigMaxBytes;
using core::kConfigMaxMillis;
using core::Reload;

const core::ConfigSection& rtmpConfigSection() {
  using C = RtmpConfig;
  using B = core::SectionBuilder<C>;
  auto limit = [](auto ChunkLimits::*m) { return B::member(&C::chunkLimits, m); };
  static const core::ConfigSection section =
      B("rtmp", "RTMP publishers and players: rtmp://HOST:PORT/{app}/{key}.")
          .flag("enabled", &C::enabled, Reload::kRestart, "Accept RTMP publishers and players.")
          .text("listen", &C::listen, B::Empty::kRejected, Reload::kRestart,
                "Address the RTMP listener binds.")
          .integer("port", &C::port, 1, 65535, "", Reload::kRestart, "TCP port.")
          .integer("chunk_size", &C::outChunkSize, 128, 0xFFFFFF, "bytes", Reload::kRestart,
                   "Chunk size we send with (Set Chunk Size). Larger chunks mean fewer chunk "
                   "headers, iovecs and reference counts per video frame and player (a typical "
                   "frame is then one chunk); every RTMP client follows Set Chunk Size.")
          .integer("window_ack_size", &C::windowAckSize, 1, UINT32_MAX, "bytes", Reload::kRestart,
                   "Window Acknowledgement Size and Set Peer Bandwidth we announce.")
          .integer("connect_timeout_ms", &C::connectTimeoutMs, 1, kConfigMaxMillis, "ms",
                   Reload::kRestart,
                   "Time a new connection has to finish the handshake, connect and start "
                   "publishing or playing.")
          .integer("commands_per_second", &C::commandsPerSecond, 1, UINT32_MAX, "",
                   Reload::kRestart,
                   "AMF commands one connection may send per second before it is closed (a "
                   "flood).")
          .integer("max_connections", &C::maxConnections, 1, UINT32_MAX, "", Reload::kRestart,
                   "Open RTMP connections, all clients together.")
          .integer<uint32_t>("limits.max_chunk_size", limit(&ChunkLimits::maxChunkSize), 128,
                             0x7FFFFFFF, "bytes", Reload::kRestart,
                             "Largest Set Chunk Size a client may ask for; above it the "
                             "connection is closed.")
          .integer<uint32_t>("limits.max_message_bytes", limit(&ChunkLimits::maxMessageBytes), 1024,
                             0xFFFFFF, "bytes", Reload::kRestart,
                             "Largest message a client may declare (RTMP's length field has 24 "
                             "bits).")
          .integer<uint32_t>("limits.max_chunk_streams", limit(&ChunkLimits::maxChunkStreams), 1,
                             65599, "", Reload::kRestart,
                             "Distinct chunk streams one connection may open.")
          .integer<size_t>("limits.max_pending_bytes", limit(&ChunkLimits::maxPendingBytes), 1024,
                           kConfigMaxBytes, "bytes", Reload::kRestart,
                           "Bytes of partly received messages one connection may hold.")
          .build();
  return section;
}

const core::ConfigSection& rtmpsConfigSection() {
  static const core::ConfigSection section = [] {
    core::SectionBuilder<RtmpsConfig> b(
        "rtmps",
        "RTMPS listener: RTMP over TLS (rtmps://HOST:1936/{app}/{key}), the same sessions, "
        "limits and settings as rtmp: (which may be disabled on its own). Certificates reload "
        "as for https: (no ALPN).");
    return core::addTlsListenerFields(b, "RTMPS").build();
  }();
  return section;
}

}  // namespace tidecast::ingest::rtmp
