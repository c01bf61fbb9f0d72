// Enforces signed playback URLs (signed_url.h) for players that go through the hub's play
// authorization: RTMP play (the query of the play name) and HTTP-FLV (the URL's query).
// LL-HLS, DASH and CMAF objects are checked by their routes directly (allowPlayback), as
// they are stateless requests with no player session. Reads the live config per request.
#pragma once

#include <cstdint>

#include "api/plugin.h"

namespace tidecast::api::auth {

class PlaybackGuard final : public Plugin {
 public:
  ~PlaybackGuard() override;
  std::string_view name() const override { return "playback-guard"; }
  core::Status mount(PluginContext& context) override;

 private:
  core::StreamHub* hub_ = nullptr;
  uint64_t authorizer_ = 0;
};

}  // namespace tidecast::api::auth
