#include "delivery/dash/dash_plugin.h"

#include <chrono>

#include "api/auth/signed_url.h"
#include "api/json_error.h"
#include "delivery/cmaf/signed_uris.h"
#include "delivery/dash/mpd.h"

namespace tidecast::delivery::dash {

namespace {

int64_t nowUnixMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

core::Status DashPlugin::mount(api::PluginContext& context) {
  cmaf_ = &context.services.get<cmaf::CmafPlugin>();
  settings_ = context.config.get<DashConfig>();
  context.router.add(
      "GET", "/{app}/{key}/index.mpd",
      [this](api::HttpRequest& request, const auto& response) { serveMpd(request, response); });
  return {};
}

void DashPlugin::serveMpd(api::HttpRequest& request,
                          const std::shared_ptr<api::HttpResponse>& response) {
  std::string signedQuery;
  cmaf::StreamPackager* packager = cmaf_->playbackPackager(request, *response, &signedQuery);
  if (packager == nullptr) return;
  const std::string* host = request.header("host");
  MpdOptions options;
  options.timeUrl = "http://" + (host ? *host : std::string("127.0.0.1")) + "/time";
  options.latencyTargetMs = settings_.latencyTargetMs;
  // The time URL depends on the Host header, publishTime on the clock: rendered per request
  // (a few microseconds; players reload it every minimumUpdatePeriod).
  auto ready = [this, packager, response, options, signedQuery]() mutable {
    if (packager->periods().empty()) return false;
    options.nowMs = nowUnixMs();
    options.renditions = cmaf_->renditions(*packager);
    std::string mpd = renderMpd(*packager, options);
    if (!signedQuery.empty()) mpd = cmaf::addQueryToMpdUris(mpd, signedQuery);
    response->send(200, {{"Content-Type", "application/dash+xml"}, {"Cache-Control", "no-cache"}},
                   {core::Slice::fromString(std::move(mpd))});
    return true;
  };
  cmaf_->answerWhenReady(*packager, response, std::move(ready),
                         cmaf::kHoldTargetDurations * cmaf_->settings().segmentTargetMs, "dash",
                         "the stream has produced no segment yet", /*onlyWhileLive=*/true);
}

}  // namespace tidecast::delivery::dash
