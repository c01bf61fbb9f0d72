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
  context.router.add("GET", "/{app}/{key}/index.mpd",
                     [this](api::HttpRequest& request, const auto& response) {
                       serveMpd(request, response);
                     });
  return {};
}

void DashPlugin::serveMpd(api::HttpRequest& request,
                          const std::shared_ptr<api::HttpResponse>& response) {
  const core::Config& config = cmaf_.context().config;
  if (!api::auth::allowPlayback(config, request, request.param("app"), request.param("key"),
                                *response)) {
    return;
  }
  std::string signedQuery =
      api::auth::playbackQuery(api::auth::findApp(config, request.param("app")), request.query);
  cmaf::StreamPackager* packager = cmaf_.find(request.param("app"), request.param("key"));
  if (packager == nullptr) {
    return api::sendJsonError(*response, 404, "stream_not_found",
                              "no live stream " + std::string(request.param("app")) + "/" +
                                  std::string(request.param("key")));
  }
  const std::string* host = request.header("host");
  MpdOptions options;
  options.timeUrl = "http://" + (host ? *host : std::string("127.0.0.1")) + "/time";
  options.latencyTargetMs = settings_.latencyTargetMs;
  // The time URL depends on the Host header, publishTime on the clock: rendered per request
  // (a few microseconds; players reload it every minimumUpdatePeriod).
  auto ready = [packager, response, options, signedQuery]() mutable {
    if (packager->periods().empty()) return false;
    options.nowMs = nowUnixMs();
    std::string mpd = renderMpd(*packager, options);
    if (!signedQuery.empty()) mpd = cmaf::addQueryToMpdUris(mpd, signedQuery);
    response->send(200, {{"Content-Type", "application/dash+xml"}, {"Cache-Control", "no-cache"}},
                   {core::Slice::fromString(std::move(mpd))});
    return true;
  };
  if (ready()) return;
  if (!packager->live()) {
    return api::sendJsonError(*response, 404, "stream_not_found", "the stream has no segments");
  }
  uint64_t deadline = cmaf_.nowMs() + 3ull * cmaf_.settings().segmentTargetMs;
  bool held = cmaf::holdRequest(*packager, response, deadline, ready, [response] {
    api::sendJsonError(*response, 503, "dash.not_ready", "the stream has produced no segment yet");
  });
  if (!held) api::sendJsonError(*response, 503, "dash.busy", "too many held requests");
}

}  // namespace tidecast::delivery::dash
