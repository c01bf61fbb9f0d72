#include "delivery/flv/flv_plugin.h"

#include "core/stream_hub_config.h"

#include "api/auth/signed_url.h"
#include "api/json_error.h"
#include "core/media/flv_tag.h"
#include "core/stream_name.h"

namespace tidecast::delivery::flv {

using core::media::MediaPacketPtr;

// One HTTP-FLV viewer: a StreamSink writing FLV tags into a streamed HTTP response.
class FlvViewer final : public core::StreamSink {
 public:
  FlvViewer(FlvPlugin& plugin, std::shared_ptr<api::HttpResponse> response,
            core::SessionRecord& record, core::BacklogLimits limits)
      : plugin_(plugin), response_(std::move(response)), record_(record), policy_(limits) {}

  core::Result<core::Stream*> start(std::string_view app, std::string_view key) {
    record_.close = [this](std::string_view reason) {
      response_->endStream();
      finish(reason);
    };
    response_->setOnClientGone([this] { finish("client closed"); });
    response_->beginStream(200, {{"Content-Type", "video/x-flv"}, {"Cache-Control", "no-cache"}});
    send({fileHeader()});
    if (finished_) return core::makeError("flv.client_gone", "client left");
    auto stream = plugin_.hub().subscribe(app, key, *this, record_);
    if (!stream) {
      response_->endStream();
      finish(stream.error().message);
      return stream;
    }
    if (!finished_) {
      stream_ = *stream;
      response_->setWriteMerge(policy_.limits().writeMergeMs);  // after the start-up burst
    }
    return stream;
  }

  void onPacket(const MediaPacketPtr& packet) override {
    if (finished_) return;
    if (!core::media::flvCarries(packet->codec)) return skipTrack(*packet);
    switch (policy_.decide(*packet, response_->backlogBytes())) {
      case core::BacklogPolicy::Decision::kSkip:
        return;
      case core::BacklogPolicy::Decision::kDrop:
        plugin_.hub().context().log.warn("flv.drop_slow_viewer session={} stream={}", record_.id,
                                         core::publicStreamName(record_.stream));
        response_->abort("viewer too slow");  // detaches: finish() runs from onClientGone
        return;
      case core::BacklogPolicy::Decision::kSend:
        break;
    }
    const TagFraming& framing = plugin_.framing().get(packet);
    core::SliceList out;
    appendTag(*packet, framing, out);
    record_.bytesOut += framing.tagBytes;
    if (!response_->writeChunk(out, framing.chunkSizeLine)) finish("client gone");
  }

  void onStreamEnd(std::string_view reason) override {
    stream_ = nullptr;
    response_->endStream();
    finish(reason);
  }

 private:
  void send(const core::SliceList& bytes) {
    record_.bytesOut += core::totalSize(bytes);
    if (!response_->writeChunk(bytes)) finish("client gone");
  }

  // MP2 from SRT: the viewer gets the video without it (said once per viewer).
  void skipTrack(const core::media::MediaPacket& packet) {
    if (skippedTrack_) return;
    skippedTrack_ = true;
    plugin_.hub().context().log.info(
        "flv.track_skipped session={} stream={} codec={} reason=\"FLV cannot carry it\"",
        record_.id, core::publicStreamName(record_.stream), core::media::codecName(packet.codec));
  }

  // Leaves the stream and the session registry; the plugin destroys this viewer.
  void finish(std::string_view reason) {
    if (finished_) return;
    finished_ = true;
    response_->setOnClientGone(nullptr);
    plugin_.hub().unsubscribe(stream_, *this, record_, reason);
    plugin_.hub().sessions().remove(record_.id);
    plugin_.release(*this);  // destroyed later, outside this call stack
  }

  FlvPlugin& plugin_;
  std::shared_ptr<api::HttpResponse> response_;
  core::SessionRecord& record_;
  core::BacklogPolicy policy_;
  core::Stream* stream_ = nullptr;
  bool finished_ = false;
  bool skippedTrack_ = false;
};

FlvPlugin::FlvPlugin() = default;
FlvPlugin::~FlvPlugin() = default;

core::Status FlvPlugin::mount(api::PluginContext& context) {
  hub_ = &context.hub;
  limits_ = context.config.get<core::StreamsConfig>().playerBacklog;
  graveyard_ = std::make_unique<core::Graveyard<FlvViewer>>(context.loop.loop);
  context.router.add(
      "GET", "/{app}/{key}.flv",
      [this](api::HttpRequest& request, const auto& response) { play(request, response); });
  return {};
}

void FlvPlugin::play(api::HttpRequest& request,
                     const std::shared_ptr<api::HttpResponse>& response) {
  std::string_view app = request.param("app");
  std::string_view key = request.param("key");
  auto name = core::StreamHub::streamName(app, key);
  if (!name || hub_->find(*name) == nullptr) {
    api::sendJsonError(*response, 404, "stream_not_found",
                       "no live stream " + std::string(app) + "/" + std::string(key));
    return;
  }
  if (request.method == "HEAD") {
    if (!api::auth::allowPlayback(hub_->context().config, request, app, key, *response)) return;
    response->beginStream(200, {{"Content-Type", "video/x-flv"}, {"Cache-Control", "no-cache"}});
    return;
  }
  // The hub's play authorizers (signed URL, on_play webhook) decide, maybe later.
  std::string peer = request.peer.ip + ":" + std::to_string(request.peer.port);
  core::AccessRequest access{core::AccessRequest::Kind::kPlay,
                             std::string(app),
                             std::string(key),
                             request.query,
                             0,
                             "http-flv",
                             peer};
  hub_->authorize(std::move(access), [this, response, app = std::string(app),
                                      peer](core::Result<std::string> allowed) {
    if (response->clientGone()) return;
    if (!allowed) {
      hub_->context().log.warn("flv.play_refused peer={} app={} code={}", peer, app,
                               allowed.error().code);
      int status = allowed.error().code == "hub.auth_busy" ? 503 : 403;
      return api::sendJsonError(*response, status, allowed.error().code, allowed.error().message);
    }
    startViewer(app, *allowed, peer, response);
  });
}

void FlvPlugin::startViewer(const std::string& app, const std::string& key, const std::string& peer,
                            const std::shared_ptr<api::HttpResponse>& response) {
  auto name = core::StreamHub::streamName(app, key);
  if (!name || hub_->find(*name) == nullptr) {  // it may have ended during the authorization
    return api::sendJsonError(*response, 404, "stream_not_found",
                              "no live stream " + app + "/" + key);
  }
  auto& record = hub_->sessions().open(core::SessionRecord::Role::kPlayer, "http-flv", peer);
  record.stream = *name;
  auto viewer = std::make_unique<FlvViewer>(*this, response, record, limits_);
  FlvViewer* raw = viewer.get();
  viewers_.emplace(raw, std::move(viewer));
  // A failure (the stream ended in between, the client left) has already finished the viewer.
  (void)raw->start(app, key);
}

void FlvPlugin::release(FlvViewer& viewer) {
  auto it = viewers_.find(&viewer);
  if (it == viewers_.end()) return;
  graveyard_->bury(std::move(it->second));
  viewers_.erase(it);
}

}  // namespace tidecast::delivery::flv
