// The CMAF packaging of every live stream, and the HTTP routes for its objects:
//   GET /{app}/{key}/{track}/init.mp4         current init segment (track: video | audio)
//   GET /{app}/{key}/{track}/init{v}.mp4      init segment version v (immutable)
//   GET /{app}/{key}/{track}/p{id}.m4s        LL-HLS part; the next one is held until ready
//   GET /{app}/{key}/{track}/{msn}.m4s        segment; the one in progress (and the next) is
//                                             streamed with chunked transfer, part by part
//   GET /{app}/{key}/{rung}/{track}/...       the same objects of a transcoded rendition
//                                             (stream "app/key/<rung>", core/transcode)
// A packager is created when a stream starts and kept for `linger_ms` after it stops, so a
// reconnecting publisher continues the same playlists. HLS and DASH read the packagers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/plugin.h"
#include "core/loop.h"
#include "delivery/cmaf/cmaf_config.h"
#include "delivery/cmaf/stream_packager.h"

namespace tidecast::delivery::cmaf {

class CmafPlugin final : public api::Plugin {
 public:
  static constexpr std::string_view kServiceName = "the CMAF packagers (delivery::cmaf)";
  CmafPlugin();
  ~CmafPlugin() override;
  std::string_view name() const override { return "cmaf"; }
  std::vector<api::ServiceKey> offers() const override { return {api::service<CmafPlugin>()}; }
  // Reads the cmaf: section (a part target above half the segment target is cut to that).
  core::Status mount(api::PluginContext& context) override;

  // The packager of "app/key" (live, or lingering after its publisher left); null if none.
  StreamPackager* find(std::string_view app, std::string_view key);
  // The packager of the rendition `rung` of `source`; null if none.
  StreamPackager* rendition(const StreamPackager& source, std::string_view rung);
  // The renditions of `source` with a video track that are live (all of them while the
  // source itself is not), tallest first.
  std::vector<StreamPackager*> renditions(const StreamPackager& source);
  // "480p" of "live/key/480p".
  static std::string_view rungName(const StreamPackager& rendition);

  // The packager a playback request (/{app}/{key}/…) names, once its signed-URL check passed;
  // null when the request was already answered (403, or 404 for no such stream).
  // `signedQuery` (optional) gets the signature to hand on to the URIs of a playlist.
  StreamPackager* playbackPackager(api::HttpRequest& request, api::HttpResponse& response,
                                   std::string* signedQuery = nullptr);

  // Answers with `ready` now if it can; otherwise holds the request until it does, for at
  // most `holdMs` (then 503 `<prefix>.not_ready` with `notReadyMessage`); 503
  // `<prefix>.busy` when too many requests are held. With `onlyWhileLive`, a stream that has
  // stopped answers 404 at once (a reconnect may still come for requests that wait anyway).
  void answerWhenReady(StreamPackager& packager, const std::shared_ptr<api::HttpResponse>& response,
                       std::function<bool()> ready, uint64_t holdMs, std::string_view prefix,
                       std::string notReadyMessage, bool onlyWhileLive);
  const CmafConfig& settings() const { return settings_; }
  core::LoopContext& context() { return *context_; }
  uint64_t nowMs() const { return context_->loop.nowMs(); }

 private:
  void onStreamStarted(const core::Event& event);
  void onRenditionStarted(const core::Event& event);
  StreamPackager& packagerFor(core::Stream& stream);
  void tick();
  void exportMetrics();
  void serveObject(api::HttpRequest& request, const std::shared_ptr<api::HttpResponse>& response);
  void servePart(StreamPackager& packager, CmafTrack& track, uint64_t id,
                 const std::shared_ptr<api::HttpResponse>& response);
  void serveSegment(StreamPackager& packager, CmafTrack& track, uint64_t msn,
                    const std::shared_ptr<api::HttpResponse>& response);

  CmafConfig settings_;
  core::LoopContext* context_ = nullptr;
  core::StreamHub* hub_ = nullptr;
  std::map<std::string, std::unique_ptr<StreamPackager>, std::less<>> packagers_;
  std::unique_ptr<core::Timer> timer_;
};

// Content-Type of a track's media objects.
std::string_view mediaContentType(const CmafTrack& track);

// Cache-Control of objects that never change once served complete.
inline constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";

// How long a request is held for what a live stream has not produced yet, in target durations
// (cmaf.segment_target_ms, or EXT-X-TARGETDURATION): RFC 8216bis 6.2.5.2 has a blocking
// playlist reload answer 503 after three. Preload-hinted parts and the first playlist or MPD
// of a starting stream (its first segment closes about one target after its first keyframe)
// wait as long, so a player's requests give up together.
inline constexpr uint64_t kHoldTargetDurations = 3;

// Parks a response on the packager until `ready` returns true; on expiry, `expire` answers
// it. Cancels the waiter when the client leaves. False when too many requests are held
// (the caller answers 503).
bool holdRequest(StreamPackager& packager, const std::shared_ptr<api::HttpResponse>& response,
                 uint64_t deadlineMs, std::function<bool()> ready, std::function<void()> expire);

}  // namespace tidecast::delivery::cmaf
