#include "delivery/hls/hls_plugin.h"

#include "api/auth/signed_url.h"
#include "api/json_error.h"
#include "delivery/cmaf/signed_uris.h"
#include "delivery/hls/media_playlist.h"
#include "delivery/hls/multivariant_playlist.h"

namespace tidecast::delivery::hls {

namespace {

constexpr std::string_view kPlaylistType = "application/vnd.apple.mpegurl";
// Cache-Control max-age of an answer to a blocking reload (_HLS_msn), in target durations. The
// answer stays correct for its URL (the playlist as it stood once that segment or part was
// ready), so a CDN can give one origin answer to every player asking for the same one; players
// at the live edge ask within about a target duration of each other. Six is a margin over
// that, not a spec value: the newest segments an answer lists stay in the window
// (cmaf.window_segments, 12 by default) longer than it is cached. Without a directive: no-cache.
constexpr uint64_t kBlockingReloadMaxAgeTargets = 6;

// The playlist text for `key`, rendered again only when the stream changed since.
core::Slice cached(cmaf::StreamPackager& packager, const std::string& key,
                   const std::function<std::string()>& render) {
  cmaf::RenderedText& slot = packager.rendered(key);
  if (slot.version != packager.version()) {
    slot.text = core::Slice::fromString(render());
    slot.version = packager.version();
  }
  return slot.text;
}

// `signedQuery` non-empty: the URIs carry the request's playback signature (a copy per request).
void sendPlaylist(api::HttpResponse& response, const core::Slice& text, std::string cacheControl,
                  const std::string& signedQuery = {}) {
  core::Slice body =
      signedQuery.empty()
          ? text
          : core::Slice::fromString(cmaf::addQueryToPlaylistUris(text.view(), signedQuery));
  response.send(
      200, {{"Content-Type", std::string(kPlaylistType)}, {"Cache-Control", cacheControl}}, {body});
}

}  // namespace

bool blockingReloadReady(const cmaf::CmafTrack& track, const PlaylistRequest& request) {
  if (!request.msn) return true;
  uint64_t msn = *request.msn;
  if (track.segments().empty()) return false;
  if (!request.part) {
    const cmaf::Segment* segment = track.segment(msn);
    return (segment != nullptr && segment->complete) || track.segments().back().msn > msn ||
           msn < track.segments().front().msn;
  }
  PlaylistPosition last = lastPosition(track);
  return last.any &&
         (last.msn > msn || (last.msn == msn && last.part >= static_cast<int64_t>(*request.part)));
}

core::Status HlsPlugin::mount(api::PluginContext& context) {
  cmaf_ = &context.services.get<cmaf::CmafPlugin>();
  transcoder_ = context.services.find<core::TranscodeControl>();
  context.router.add("GET", "/{app}/{key}/{playlist}.m3u8",
                     [this](api::HttpRequest& request, const auto& response) {
                       servePlaylist(request, response);
                     });
  context.router.add("GET", "/{app}/{key}/{rung}/{playlist}.m3u8",
                     [this](api::HttpRequest& request, const auto& response) {
                       servePlaylist(request, response);
                     });
  return {};
}

void HlsPlugin::servePlaylist(api::HttpRequest& request,
                              const std::shared_ptr<api::HttpResponse>& response) {
  std::string signedQuery;
  cmaf::StreamPackager* packager = cmaf_->playbackPackager(request, *response, &signedQuery);
  if (packager == nullptr) return;
  std::string_view playlist = request.param("playlist");
  std::string_view rung = request.param("rung");
  cmaf::StreamPackager* source = packager;
  if (!rung.empty()) {
    packager = cmaf_->rendition(*source, rung);
    if (packager == nullptr || playlist == "index") {
      return api::sendJsonError(*response, 404, "hls.not_found", "no such rendition");
    }
  }
  if (playlist == "index") return serveMultivariant(*packager, response, std::move(signedQuery));
  if (playlist != "video" && playlist != "audio") {
    return api::sendJsonError(*response, 404, "hls.not_found", "no such playlist");
  }
  auto parsed = parsePlaylistRequest(request.query);
  if (!parsed)
    return api::sendJsonError(*response, 400, parsed.error().code, parsed.error().message);
  serveMedia(*packager, *source, playlist, *parsed, response, std::move(signedQuery));
}

void HlsPlugin::serveMultivariant(cmaf::StreamPackager& packager,
                                  const std::shared_ptr<api::HttpResponse>& response,
                                  std::string signedQuery) {
  // Variants advertise measured bandwidth: wait for the first segment of a starting stream.
  auto ready = [this, &packager, response, signedQuery = std::move(signedQuery)] {
    cmaf::CmafTrack* leader = packager.leader();
    if (leader == nullptr || leader->segments().empty() || !leader->segments().front().complete) {
      return false;
    }
    sendPlaylist(*response,
                 cached(packager, "index",
                        [&] {
                          return renderMultivariantPlaylist(
                              packager, cmaf_->renditions(packager),
                              transcoder_ == nullptr || transcoder_->sourceListed(packager.name()));
                        }),
                 "no-cache", signedQuery);
    return true;
  };
  cmaf_->answerWhenReady(packager, response, std::move(ready),
                         cmaf::kHoldTargetDurations * cmaf_->settings().segmentTargetMs, "hls",
                         "the stream has produced no segment yet", /*onlyWhileLive=*/true);
}

std::vector<RenditionReport> HlsPlugin::reportsFor(cmaf::StreamPackager& packager,
                                                   cmaf::StreamPackager& source) {
  std::vector<RenditionReport> reports;
  bool isRendition = &packager != &source;
  std::string up = isRendition ? "../" : "";
  if (isRendition) {
    if (source.video()) reports.push_back({"../video.m3u8", source.video()});
    if (source.audio()) reports.push_back({"../audio.m3u8", source.audio()});
  }
  for (cmaf::StreamPackager* rendition : cmaf_->renditions(source)) {
    if (rendition == &packager) continue;
    reports.push_back({up + std::string(cmaf::CmafPlugin::rungName(*rendition)) + "/video.m3u8",
                       rendition->video()});
  }
  return reports;
}

void HlsPlugin::serveMedia(cmaf::StreamPackager& packager, cmaf::StreamPackager& source,
                           std::string_view trackName, const PlaylistRequest& request,
                           const std::shared_ptr<api::HttpResponse>& response,
                           std::string signedQuery) {
  cmaf::CmafTrack* track = packager.track(trackName);
  if (track == nullptr || track->segments().empty()) {
    return api::sendJsonError(*response, 404, "hls.not_found", "the track has no segments yet");
  }
  uint32_t target = targetDurationSeconds(*track, cmaf_->settings());
  if (request.msn) {
    PlaylistPosition last = lastPosition(*track);
    uint64_t newest = last.any ? last.msn : track->segments().back().msn;
    if (*request.msn > newest + 2) {
      return api::sendJsonError(*response, 400, "hls.too_far_ahead",
                                "_HLS_msn is more than two segments past the playlist's last");
    }
  }
  std::string key = std::string(trackName) + (request.skip ? "?skip" : "");
  std::string cacheControl =
      request.msn ? "public, max-age=" + std::to_string(kBlockingReloadMaxAgeTargets * target)
                  : std::string("no-cache");
  // The source may go (linger) while a rendition's request waits: look it up when answering.
  std::string sourceName = source.name();
  auto answer = [this, &packager, sourceName, track, key, trackName = std::string(trackName),
                 request, response, cacheControl, signedQuery = std::move(signedQuery)] {
    if (!blockingReloadReady(*track, request)) return false;
    sendPlaylist(
        *response,
        cached(packager, key,
               [&] {
                 std::string_view app =
                     std::string_view(sourceName).substr(0, sourceName.find('/'));
                 std::string_view streamKey = std::string_view(sourceName).substr(app.size() + 1);
                 cmaf::StreamPackager* current = cmaf_->find(app, streamKey);
                 std::vector<RenditionReport> reports;
                 if (current != nullptr) reports = reportsFor(packager, *current);
                 return renderMediaPlaylist(packager, *track, trackName, request.skip, reports);
               }),
        cacheControl, signedQuery);
    return true;
  };
  // RFC 8216bis 6.2.5.2: hold the request, then 503 (kHoldTargetDurations).
  cmaf_->answerWhenReady(packager, response, std::move(answer),
                         cmaf::kHoldTargetDurations * target * 1000, "hls",
                         "the requested part was not produced in time", /*onlyWhileLive=*/false);
}

}  // namespace tidecast::delivery::hls
