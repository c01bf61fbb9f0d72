#include "server/server_config.h"

#include "api/api_sections.h"
#include "core/core_sections.h"
#include "delivery/delivery_sections.h"
#include "ingest/ingest_sections.h"
#include "social/social_sections.h"

namespace tidecast::server {

const core::ConfigSection& serverConfigSection() {
  static const core::ConfigSection section =
      core::SectionBuilder<ServerConfig>("server", "The process as a whole.")
          .integer("shutdown_timeout_ms", &ServerConfig::shutdownTimeoutMs, 0,
                   core::kConfigMaxMillis, "ms", core::Reload::kLive,
                   "On SIGTERM/SIGINT, time given to open connections to finish before they are "
                   "closed hard. 0 closes at once.")
          .build();
  return section;
}

const core::ConfigSchema& configSchema() {
  static const core::ConfigSchema schema{core::configSections(),     {&serverConfigSection()},
                                         api::configSections(),      ingest::configSections(),
                                         delivery::configSections(), social::configSections()};
  return schema;
}

}  // namespace tidecast::server
