// The configuration sections core/ declares: data_dir, log, apps, streams (and, in its own
// library, transcode: core/transcode/transcode_config.h).
#pragma once

#include <vector>

#include "core/config.h"

namespace tidecast::core {

std::vector<const ConfigSection*> configSections();

}  // namespace tidecast::core
