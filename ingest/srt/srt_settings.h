// SRT listener settings (mapped from the `srt:` config section by server/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "core/backlog_policy.h"

namespace tidecast::ingest::srt {

struct SrtSettings {
  std::string listen = "0.0.0.0";
  uint16_t port = 9000;
  uint32_t latencyMs = 120;   // SRTO_LATENCY: the receiver's buffer for retransmissions
  int64_t maxBandwidth = -1;  // SRTO_MAXBW bytes/s; -1 relative to the input rate, 0 unlimited
  std::string passphrase;     // "" = no encryption unless the app has its own
  uint32_t pbkeylen = 16;     // 16, 24 or 32 (AES-128/192/256)
  std::map<std::string, std::string, std::less<>> appPassphrases;  // app -> passphrase
  uint32_t maxConnections = 1000;
  size_t receiveQueueBytes = 8 * 1024 * 1024;  // per publisher, ahead of its demuxer
  size_t loopQueuePackets = 16384;             // packets from all demuxers, ahead of the loop
  uint32_t handshakeTimeoutMs = 1000;          // the loop's answer to a handshake check
  uint32_t statsIntervalMs = 1000;             // srt_bstats sampling
  core::BacklogLimits playerBacklog;
};

}  // namespace tidecast::ingest::srt
