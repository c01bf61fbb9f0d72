#include "api/metrics_access.h"

#include "api/admin/admin_config.h"
#include "api/json_error.h"
#include "core/sha256.h"

namespace tidecast::api {

MetricsAccess metricsAccess(const MetricsConfig& config, const HttpRequest& request) {
  if (anyContains(config.allow, request.peer.ip)) return MetricsAccess::kAllowed;
  std::string_view token = request.bearerToken();
  if (token.empty()) return MetricsAccess::kForbidden;
  return admin::listedSha256(config.tokenSha256, core::sha256Hex(token))
             ? MetricsAccess::kAllowed
             : MetricsAccess::kUnauthorized;
}

bool admitMetricsRequest(const MetricsConfig& config, const HttpRequest& request,
                         HttpResponse& response) {
  switch (metricsAccess(config, request)) {
    case MetricsAccess::kAllowed:
      return true;
    case MetricsAccess::kForbidden:
      sendJsonError(response, 403, "metrics.forbidden",
                    "this address may not read /metrics (see metrics.allow and "
                    "metrics.token_sha256)");
      return false;
    case MetricsAccess::kUnauthorized:
      sendJsonError(response, 401, "metrics.unauthorized", "unknown metrics token",
                    {{"WWW-Authenticate", "Bearer realm=\"tidecast-metrics\""}});
      return false;
  }
  return false;
}

}  // namespace tidecast::api
