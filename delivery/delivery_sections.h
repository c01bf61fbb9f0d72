// The configuration sections delivery/ declares (cmaf, dash, and core/transcode's transcode, which
// its transcode plug-in runs).
#pragma once

#include <vector>

#include "core/config.h"

namespace tidecast::delivery {

std::vector<const core::ConfigSection*> configSections();

}  // namespace tidecast::delivery
