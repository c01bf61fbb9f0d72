// The `srt:` section: the SRT listener (libsrt), its link options and limits. Read at start;
// a change needs a restart.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "core/config.h"

namespace tidecast::ingest::srt {

struct SrtConfig {
  bool enabled = true;
  std::string listen = "0.0.0.0";
  uint16_t port = 9000;
  uint32_t latencyMs = 120;   // SRTO_LATENCY: the receiver's buffer for retransmissions
  uint64_t maxBandwidth = 0;  // SRTO_MAXBW bytes/s; 0 = no limit (libsrt's -1, "infinite")
  std::string passphrase;     // "" = no encryption unless the app has its own
  uint32_t pbkeylen = 16;     // 16, 24 or 32 (AES-128/192/256)
  std::map<std::string, std::string, std::less<>> appPassphrases;  // app -> passphrase
  uint32_t maxConnections = 1000;
  size_t receiveQueueBytes = 8 * 1024 * 1024;  // per publisher, ahead of its demuxer
  uint32_t loopQueuePackets = 16384;           // packets from all demuxers, ahead of the loop
  uint32_t handshakeTimeoutMs = 1000;          // the loop's answer to a handshake check
  uint32_t statsIntervalMs = 1000;             // srt_bstats sampling
  bool operator==(const SrtConfig&) const = default;
};

const core::ConfigSection& srtConfigSection();

}  // namespace tidecast::ingest::srt
