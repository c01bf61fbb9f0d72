#include "api/api_sections.h"

#include "api/admin/admin_config.h"
#include "api/auth/auth_config.h"
#include "api/http_config.h"
#include "api/metrics_config.h"
#include "api/webhooks/webhooks_config.h"
#include "api/websocket_config.h"

namespace tidecast::api {

std::vector<const core::ConfigSection*> configSections() {
  return {&httpConfigSection(),
          &httpsConfigSection(),
          &websocketConfigSection(),
          &admin::adminConfigSection(),
          &metricsConfigSection(),
          &auth::authConfigSection(),
          &webhooks::webhooksConfigSection()};
}

}  // namespace tidecast::api
