// The configuration sections social/ declares (redis, social).
#pragma once

#include <vector>

#include "core/config.h"

namespace tidecast::social {

std::vector<const core::ConfigSection*> configSections();

}  // namespace tidecast::social
