#include "core/log_config.h"

namespace tidecast::core {

const ConfigSection& logConfigSection() {
  static const ConfigSection section =
      SectionBuilder<LogConfig>("log", "The process's log (spdlog, one line per event, to stderr).")
          .name("level", &LogConfig::level,
                {"trace", "debug", "info", "warn", "error", "critical", "off"}, Reload::kLive,
                "Minimum level written.")
          .choice<LogFormat>("format", &LogConfig::format,
                             {{"text", LogFormat::kText}, {"json", LogFormat::kJson}},
                             Reload::kLive,
                             "Line format: text (key=value) or json (one JSON object per line).")
          .build();
  return section;
}

}  // namespace tidecast::core
