#include "core/stream_hub.h"

#include <algorithm>

#include "core/stream_name.h"

namespace tidecast::core {

namespace {
constexpr uint64_t kTimeoutCheckMs = 1000;
constexpr size_t kMaxNameLength = 128;

bool validNamePart(std::string_view part) {
  if (part.empty() || part.size() > kMaxNameLength || part == "." || part == "..") return false;
  return std::all_of(part.begin(), part.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}
}  // namespace

StreamHub::StreamHub(LoopContext& context, EventBus& events)
    : context_(context),
      events_(events),
      timeoutTimer_(context.loop),
      liveStreams_(context.metrics.gauge("tidecast_core_live_streams", "Streams with a publisher")),
      players_(context.metrics.gauge("tidecast_core_players", "Players attached to live streams")) {
  timeoutTimer_.start(kTimeoutCheckMs, kTimeoutCheckMs, [this] { checkPublisherTimeouts(); });
  // The timeout check alone must not keep a stopping server alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(timeoutTimer_.raw()));
  context.metrics.addCollectHook([this] { exportStreamMetrics(); });
}

StreamHub::~StreamHub() {
  for (auto& [name, stream] : streams_) stream->end("server stopping");
}

std::optional<std::string> StreamHub::streamName(std::string_view app, std::string_view key) {
  if (!validNamePart(app) || !validNamePart(key)) return std::nullopt;
  return std::string(app) + "/" + std::string(key);
}

Status StreamHub::checkPublish(std::string_view app, std::string_view key) const {
  auto name = streamName(app, key);
  if (!name) return makeError("hub.bad_name", "invalid app or stream key");
  const AppConfig* policy = apps().find(app);
  if (policy == nullptr)
    return makeError("hub.unknown_app", "no app named '" + std::string(app) + "'");
  bool listed = std::find(policy->publishKeys.begin(), policy->publishKeys.end(), key) !=
                policy->publishKeys.end();
  if (!policy->anyKey && !listed && !(keyCheck_ && keyCheck_(app, key))) {
    return makeError("hub.bad_key", "stream key not allowed for app '" + std::string(app) + "'");
  }
  if (find(*name) != nullptr && !policy->takeover) {
    return makeError("hub.already_publishing", "the stream already has a publisher");
  }
  return {};
}

Result<Stream*> StreamHub::startPublishing(std::string_view app, std::string_view key,
                                           SessionRecord& publisher) {
  if (auto status = checkPublish(app, key); !status) return status.error();
  auto name = streamName(app, key);
  if (Stream* existing = find(*name)) {
    uint64_t previous = existing->publisherSession();
    if (!sessions_.kick(previous, "taken over by a new publisher")) {
      stopPublishing(*existing, "taken over by a new publisher");
    }
    if (Stream* still = find(*name)) stopPublishing(*still, "taken over by a new publisher");
  }
  auto stream = std::make_unique<Stream>(*name, publisher.id, streamsConfig().gopCacheMaxBytes);
  stream->touch(context_.loop.nowMs());
  Stream* raw = stream.get();
  streams_.emplace(*name, std::move(stream));
  publisher.stream = *name;
  liveStreams_.set(static_cast<double>(streams_.size()));
  context_.log.info("stream.started stream={} session={} protocol={} peer={}",
                    publicStreamName(*name), publisher.id, publisher.protocol, publisher.peer);
  announce("stream.started", *name, publisher);
  return raw;
}

Result<Stream*> StreamHub::startRendition(std::string_view source, std::string_view rung,
                                          SessionRecord& publisher) {
  if (!validNamePart(rung)) return makeError("hub.bad_name", "invalid rendition name");
  Stream* sourceStream = find(source);
  if (sourceStream == nullptr || !sourceStream->renditionOf().empty()) {
    return makeError("hub.not_found", "the source stream is not live");
  }
  std::string name = std::string(source) + "/" + std::string(rung);
  if (find(name) != nullptr) {
    return makeError("hub.already_publishing", "the rendition already has a publisher");
  }
  auto stream = std::make_unique<Stream>(name, publisher.id, streamsConfig().gopCacheMaxBytes);
  stream->setRenditionOf(std::string(source));
  stream->touch(context_.loop.nowMs());
  Stream* raw = stream.get();
  streams_.emplace(name, std::move(stream));
  publisher.stream = name;
  liveStreams_.set(static_cast<double>(streams_.size()));
  context_.log.info("rendition.started stream={} session={}", publicStreamName(name), publisher.id);
  announce("rendition.started", name, publisher);
  return raw;
}

void StreamHub::stopPublishing(Stream& stream, std::string_view reason) {
  auto it = streams_.find(stream.name());
  if (it == streams_.end() || it->second.get() != &stream) return;
  std::unique_ptr<Stream> owned = std::move(it->second);
  streams_.erase(it);
  liveStreams_.set(static_cast<double>(streams_.size()));
  players_.add(-static_cast<double>(owned->playerCount()));
  const char* type = owned->renditionOf().empty() ? "stream.stopped" : "rendition.stopped";
  context_.log.info("{} stream={} session={} reason=\"{}\" packets={}", type,
                    publicStreamName(owned->name()), owned->publisherSession(), reason,
                    owned->stats().packets);
  owned->end(reason);
  Event event{type,          owned->name(), owned->publisherSession(), "", "", std::string(reason),
              /*id=*/0,
              /*payload=*/""};
  if (const SessionRecord* record = sessions_.find(owned->publisherSession())) {
    event.protocol = record->protocol;
    event.peer = record->peer;
  }
  events_.publish(event);
}

Stream* StreamHub::find(std::string_view name) {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

const Stream* StreamHub::find(std::string_view name) const {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : it->second.get();
}

std::vector<Stream*> StreamHub::streams() {
  std::vector<Stream*> out;
  for (auto& [name, stream] : streams_) out.push_back(stream.get());
  return out;
}

Result<Stream*> StreamHub::subscribe(std::string_view app, std::string_view key, StreamSink& sink,
                                     const SessionRecord& player) {
  auto name = streamName(app, key);
  if (!name) return makeError("hub.bad_name", "invalid app or stream key");
  Stream* stream = find(*name);
  if (stream == nullptr) return makeError("hub.not_found", "the stream is not live");
  players_.add(1);
  announce("player.joined", *name, player);
  stream->addSink(sink);
  return stream;
}

void StreamHub::unsubscribe(Stream* stream, StreamSink& sink, const SessionRecord& player,
                            std::string_view reason) {
  if (stream != nullptr && find(stream->name()) == stream) {
    stream->removeSink(sink);
    players_.add(-1);
  }
  announce("player.left", player.stream, player, reason);
}

// ---- access authorization ---------------------------------------------------------------

namespace {
// One authorization in progress: the authorizers left to ask and where the answer goes.
struct AuthorizationChain {
  std::vector<AccessAuthorizer> steps;
  size_t next = 0;
  AccessRequest request;
  AccessDone done;
};

void runChain(const std::shared_ptr<AuthorizationChain>& chain) {
  if (chain->next == chain->steps.size()) return chain->done(chain->request.key);
  const AccessAuthorizer& step = chain->steps[chain->next++];
  step(chain->request, [chain](Result<std::string> result) {
    if (!result) return chain->done(result.error());
    chain->request.key = std::move(*result);
    runChain(chain);
  });
}
}  // namespace

uint64_t StreamHub::addAuthorizer(AccessRequest::Kind kind, AccessAuthorizer authorizer) {
  authorizers_.push_back({nextAuthorizerId_, kind, std::move(authorizer)});
  return nextAuthorizerId_++;
}

void StreamHub::removeAuthorizer(uint64_t id) {
  std::erase_if(authorizers_, [id](const Authorizer& a) { return a.id == id; });
}

void StreamHub::authorize(AccessRequest request, AccessDone done) {
  if (pendingAuthorizations_ >= kMaxPendingAuthorizations) {
    return done(makeError("hub.auth_busy", "too many authorizations in progress"));
  }
  auto chain = std::make_shared<AuthorizationChain>();
  for (const Authorizer& a : authorizers_) {
    if (a.kind == request.kind) chain->steps.push_back(a.fn);
  }
  ++pendingAuthorizations_;
  chain->request = std::move(request);
  chain->done = [this, done = std::move(done)](Result<std::string> result) {
    --pendingAuthorizations_;
    done(std::move(result));
  };
  runChain(chain);
}

void StreamHub::checkPublisherTimeouts() {
  uint64_t now = context_.loop.nowMs();
  std::vector<Stream*> silent;
  for (auto& [name, stream] : streams_) {
    if (now - stream->stats().lastPacketLoopMs > streamsConfig().publisherTimeoutMs) {
      silent.push_back(stream.get());
    }
  }
  for (Stream* stream : silent) {
    context_.log.warn("stream.publisher_timeout stream={} timeout_ms={}",
                      publicStreamName(stream->name()), streamsConfig().publisherTimeoutMs);
    if (!sessions_.kick(stream->publisherSession(), "publisher timeout")) {
      stopPublishing(*stream, "publisher timeout");
    }
  }
}

void StreamHub::exportStreamMetrics() {
  MetricsRegistry& metrics = context_.metrics;
  for (const auto& [name, labels] : exported_) metrics.remove(name, labels);
  exported_.clear();
  auto gauge = [&](const char* name, const char* help, Labels labels, double value) {
    metrics.gauge(name, help, labels).set(value);
    exported_.emplace_back(name, std::move(labels));
  };
  for (const auto& [name, stream] : streams_) {
    const StreamStats& stats = stream->stats();
    const StreamInfo& info = stream->info();
    const std::string publicName = publicStreamName(name);  // never the key in a label
    Labels labels{{"stream", publicName}};
    gauge("tidecast_core_stream_bitrate_bits_per_second", "Publisher bitrate (audio + video)",
          labels, static_cast<double>(stats.bitrateBps));
    gauge("tidecast_core_stream_video_fps", "Measured video frame rate", labels, stats.videoFps);
    gauge("tidecast_core_stream_players", "Players attached to the stream", labels,
          static_cast<double>(stream->playerCount()));
    gauge(
        "tidecast_core_stream_info", "Codec details of a live stream (value is 1)",
        {{"stream", publicName},
         {"video_codec", std::string(media::codecName(info.videoCodec))},
         {"video_codec_string", info.video.codecString},
         {"resolution", std::to_string(info.video.width) + "x" + std::to_string(info.video.height)},
         {"audio_codec", std::string(media::codecName(info.audioCodec))},
         {"audio_sample_rate", std::to_string(info.audio.sampleRate)},
         {"audio_channels", std::to_string(info.audio.channels)}},
        1);
  }
}

void StreamHub::announce(std::string type, const std::string& stream, const SessionRecord& session,
                         std::string_view reason) {
  events_.publish(Event{std::move(type), stream, session.id, session.protocol, session.peer,
                        std::string(reason), /*id=*/0, /*payload=*/""});
}

}  // namespace tidecast::core
