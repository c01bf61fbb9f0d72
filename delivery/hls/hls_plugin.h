// LL-HLS delivery from memory:
//   GET /{app}/{key}/index.m3u8    multivariant playlist
//   GET /{app}/{key}/video.m3u8    media playlists (also audio.m3u8), with blocking reload
//                                  (_HLS_msn, _HLS_part) and delta updates (_HLS_skip)
//   GET /{app}/{key}/{rung}/video.m3u8  a transcoded rendition's (core/transcode); its
//                                  EXT-X-RENDITION-REPORTs name the source and other rungs
// The media objects they list are served by the CMAF plug-in. Every playlist is rendered
// once per change of its stream and the same bytes answer every request until the next.
#pragma once

#include <memory>

#include "api/plugin.h"
#include "core/transcode_control.h"
#include "delivery/cmaf/cmaf_plugin.h"
#include "delivery/hls/media_playlist.h"
#include "delivery/hls/playlist_request.h"

namespace tidecast::delivery::hls {

class HlsPlugin final : public api::Plugin {
 public:
  std::string_view name() const override { return "ll-hls"; }
  // The packagers; the transcoder, when there is one, says whether a ladder lists the source.
  std::vector<api::ServiceNeed> needs() const override {
    return {{api::service<cmaf::CmafPlugin>()},
            {api::service<core::TranscodeControl>(), /*optional=*/true}};
  }
  core::Status mount(api::PluginContext& context) override;

 private:
  void servePlaylist(api::HttpRequest& request, const std::shared_ptr<api::HttpResponse>& response);
  // signedQuery: "expires=…&signature=…" to carry onto the playlist's URIs, or "".
  void serveMultivariant(cmaf::StreamPackager& packager,
                         const std::shared_ptr<api::HttpResponse>& response,
                         std::string signedQuery);
  // `source` is `packager` itself, or the stream a rendition's `packager` transcodes.
  void serveMedia(cmaf::StreamPackager& packager, cmaf::StreamPackager& source,
                  std::string_view trackName, const PlaylistRequest& request,
                  const std::shared_ptr<api::HttpResponse>& response, std::string signedQuery);

  // The other playlists of the presentation, relative to `packager`'s.
  std::vector<RenditionReport> reportsFor(cmaf::StreamPackager& packager,
                                          cmaf::StreamPackager& source);

  cmaf::CmafPlugin* cmaf_ = nullptr;
  const core::TranscodeControl* transcoder_ = nullptr;  // null: no ladder anywhere
};

// True when the track's playlist holds what a blocking reload asks for.
bool blockingReloadReady(const cmaf::CmafTrack& track, const PlaylistRequest& request);

}  // namespace tidecast::delivery::hls
