// Fuzz target: LL-HLS delivery directives. Arbitrary query strings through
// parsePlaylistRequest must give a request or an hls.bad_request with a reason, never a
// crash; _HLS_part never comes without _HLS_msn. A parsed request is then asked of small
// packagers (no track, one in progress, one ended after a reconnect) with
// blockingReloadReady, which must be monotonic (ready for msn/part means ready for any
// earlier one), and the media playlist is rendered the way the request asks.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "delivery/hls/hls_plugin.h"
#include "delivery/hls/media_playlist.h"
#include "delivery/hls/playlist_request.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace {

using tidecast::delivery::cmaf::CmafTrack;
using tidecast::delivery::cmaf::testutil::PackagerHarness;
using tidecast::delivery::hls::blockingReloadReady;
using tidecast::delivery::hls::PlaylistRequest;

PackagerHarness& harness(unsigned which) {
  static auto harnesses = [] {
    auto made = std::make_unique<PackagerHarness[]>(3);
    made[0].publish().sendConfigs();  // tracks without segments
    made[1].settings.windowSegments = 3;
    made[1].publishFor(9100);  // segments 1..3 complete, 4 in progress
    made[2].publishFor(4500);
    made[2].endSession();
    made[2].publishFor(2100);  // a discontinuity at 3
    made[2].endSession();
    return made;
  }();
  return harnesses[which % 3];
}

void checkMonotonic(const CmafTrack& track, const PlaylistRequest& request) {
  if (!request.msn || !blockingReloadReady(track, request)) return;
  PlaylistRequest earlier = request;
  if (request.part && *request.part > 0) {
    earlier.part = *request.part - 1;
  } else if (*request.msn > 0) {
    earlier.msn = *request.msn - 1;
  } else {
    return;
  }
  if (!blockingReloadReady(track, earlier)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view query(reinterpret_cast<const char*>(data + 1), size - 1);
  auto request = tidecast::delivery::hls::parsePlaylistRequest(query);
  if (!request.ok()) {
    if (request.error().code != "hls.bad_request" || request.error().message.empty()) {
      __builtin_trap();
    }
    return 0;
  }
  if (request->part && !request->msn) __builtin_trap();
  tidecast::delivery::cmaf::StreamPackager& packager = harness(data[0]).packager();
  for (std::string_view name : {"video", "audio"}) {
    CmafTrack* track = packager.track(name);
    if (track == nullptr) continue;
    checkMonotonic(*track, *request);
    if (blockingReloadReady(*track, *request)) {
      std::string text =
          tidecast::delivery::hls::renderMediaPlaylist(packager, *track, name, request->skip);
      if (!track->segments().empty() && text.rfind("#EXTM3U\n", 0) != 0) __builtin_trap();
    }
  }
  return 0;
}
