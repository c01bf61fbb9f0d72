// The StreamHub's sections: `apps:` (who may publish under which app, and per-app playback
// and ABR choices) and `streams:` (timeouts, the GOP cache, viewers' backlogs). The hub and
// the sessions read them live: a SIGHUP reload changes them in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/backlog_policy.h"
#include "core/config.h"

namespace tidecast::core {

// An application: the first path segment of rtmp://host/{app}/{key} and /{app}/{key}/...
struct AppConfig {
  std::string name;
  bool anyKey = true;                      // publish_keys: any (development)
  std::vector<std::string> publishKeys{};  // publish_keys: [k1, k2]
  bool takeover = false;                   // on_conflict: takeover | reject
  // Signed playback URLs (api/auth/signed_url.h): when set, every viewer request of this app
  // must carry ?expires=<unix s>&signature=<HMAC-SHA256>; "" leaves playback open.
  std::string playbackSecret{};
  uint32_t playbackTtlMs = 3600000;  // longest validity accepted (and --sign-url's default)
  std::string transcode{};           // name of a transcode.ladders entry ("" = no ABR ladder)
  bool operator==(const AppConfig&) const = default;
};

struct AppsConfig {
  std::vector<AppConfig> apps{AppConfig{.name = "live"}};
  const AppConfig* find(std::string_view name) const;
};

struct StreamsConfig {
  uint32_t publisherTimeoutMs = 10000;  // no packet for this long ends the stream
  size_t gopCacheMaxBytes = 32 * 1024 * 1024;
  // RTMP and HTTP-FLV viewers' backlog and merged writes (core/backlog_policy.h).
  BacklogLimits playerBacklog{.maxBytes = 4 * 1024 * 1024, .maxMs = 5000, .writeMergeMs = 100};
  bool operator==(const StreamsConfig&) const = default;
};

// Names that are routes of their own and cannot be app names.
inline constexpr std::string_view kReservedAppNames[] = {"api",    "ws",      "watch",   "admin",
                                                         "assets", "healthz", "metrics", "time"};
// [A-Za-z0-9_.-], 1..128 characters, not "." or "..", not reserved.
bool validAppName(std::string_view name);

const ConfigSection& appsConfigSection();
const ConfigSection& streamsConfigSection();

}  // namespace tidecast::core
