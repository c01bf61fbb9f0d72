// LL-HLS delivery from memory:
//   GET /{app}/{key}/index.m3u8    multivariant playlist
//   GET /{app}/{key}/video.m3u8    media playlists (also audio.m3u8), with blocking reload
//                                  (_HLS_msn, _HLS_part) and delta updates (_HLS_skip)
// The media objects they list are served by the CMAF plug-in. Every playlist is rendered
// once per change of its stream and the same bytes answer every request until the next.
#pragma once

#include <memory>

#include "api/plugin.h"
#include "delivery/cmaf/cmaf_plugin.h"
#include "delivery/hls/playlist_request.h"

namespace tidecast::delivery::hls {

class HlsPlugin final : public api::Plugin {
 public:
  explicit HlsPlugin(cmaf::CmafPlugin& cmaf) : cmaf_(cmaf) {}
  std::string_view name() const override { return "ll-hls"; }
  core::Status mount(api::PluginContext& context) override;

 private:
  void servePlaylist(api::HttpRequest& request, const std::shared_ptr<api::HttpResponse>& response);
  // signedQuery: "expires=…&signature=…" to carry onto the playlist's URIs, or "".
  void serveMultivariant(cmaf::StreamPackager& packager,
                         const std::shared_ptr<api::HttpResponse>& response,
                         std::string signedQuery);
  void serveMedia(cmaf::StreamPackager& packager, std::string_view trackName,
                  const PlaylistRequest& request,
                  const std::shared_ptr<api::HttpResponse>& response, std::string signedQuery);

  cmaf::CmafPlugin& cmaf_;
};

// True when the track's playlist holds what a blocking reload asks for.
bool blockingReloadReady(const cmaf::CmafTrack& track, const PlaylistRequest& request);

}  // namespace tidecast::delivery::hls
