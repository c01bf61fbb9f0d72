// The configuration sections api/ declares (http, https, websocket, admin, metrics, auth,
// webhooks).
#pragma once

#include <vector>

#include "core/config.h"

namespace tidecast::api {

std::vector<const core::ConfigSection*> configSections();

}  // namespace tidecast::api
