// Who may read GET /metrics, under the `metrics:` section (api/metrics_config.h): a client
// address in metrics.allow, or a bearer token whose SHA-256 is in metrics.token_sha256
// (compared in constant time). Loop thread; reads the live config on every request.
#pragma once

#include "api/http_request.h"
#include "api/http_response.h"
#include "api/metrics_config.h"

namespace tidecast::api {

enum class MetricsAccess {
  kAllowed,
  kForbidden,     // 403 metrics.forbidden: neither the address nor a token allows it
  kUnauthorized,  // 401 metrics.unauthorized: a bearer token was sent and is not listed
};

MetricsAccess metricsAccess(const MetricsConfig& config, const HttpRequest& request);

// True when the request may read /metrics; otherwise the JSON error was sent.
bool admitMetricsRequest(const MetricsConfig& config, const HttpRequest& request,
                         HttpResponse& response);

}  // namespace tidecast::api
