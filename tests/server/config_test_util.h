// The process's configuration as the tests read it: the server's schema (every room's
// sections), no environment unless a test passes one.
#pragma once

#include <string>
#include <string_view>

#include "api/admin/admin_config.h"
#include "api/auth/auth_config.h"
#include "api/http_config.h"
#include "api/webhooks/webhooks_config.h"
#include "api/websocket_config.h"
#include "core/config.h"
#include "core/data_dir_config.h"
#include "core/log_config.h"
#include "core/stream_hub_config.h"
#include "core/transcode/transcode_config.h"
#include "delivery/cmaf/cmaf_config.h"
#include "delivery/dash/dash_config.h"
#include "ingest/rtmp/rtmp_config.h"
#include "ingest/srt/srt_config.h"
#include "server/server_config.h"
#include "social/social_config.h"
#include "social/store/redis_config.h"

namespace tidecast::core {

using api::HttpConfig;
using api::HttpsConfig;
using ingest::rtmp::RtmpConfig;
using ingest::rtmp::RtmpsConfig;
using ingest::srt::SrtConfig;
using social::SocialConfig;
using social::store::RedisConfig;

inline Result<Config> parseConfig(std::string_view yaml, std::string_view name) {
  return parseConfig(server::configSchema(), yaml, name, noEnvironment());
}

inline Result<Config> loadConfigFile(const std::string& path) {
  return loadConfigFile(server::configSchema(), path, noEnvironment());
}

// Every section at its built-in default.
inline Config schemaDefaults() { return Config(server::configSchema()); }

}  // namespace tidecast::core
