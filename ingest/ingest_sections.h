// The configuration sections ingest/ declares (rtmp, rtmps, srt).
#pragma once

#include <vector>

#include "core/config.h"

namespace tidecast::ingest {

std::vector<const core::ConfigSection*> configSections();

}  // namespace tidecast::ingest
