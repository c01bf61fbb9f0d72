// The `log:` section: level and line format of the process's log (core/log.h).
#pragma once

#include <string>

#include "core/config.h"

namespace tidecast::core {

enum class LogFormat { kText, kJson };

struct LogConfig {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  LogFormat format = LogFormat::kText;
  bool operator==(const LogConfig&) const = default;
};

const ConfigSection& logConfigSection();

}  // namespace tidecast::core
