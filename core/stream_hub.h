// The live sessions of one loop: which streams are live, who publishes them, who may.
// Ingest code asks the hub to publish (auth by app and stream key, one publisher per name)
// and pushes packets into the Stream it gets; outputs subscribe sinks to streams. The hub
// announces stream.started / stream.stopped / player.joined / player.left on the EventBus,
// ends streams whose publisher went silent, and keeps the session records.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_bus.h"
#include "core/loop.h"
#include "core/loop_context.h"
#include "core/result.h"
#include "core/session_registry.h"
#include "core/stream.h"
#include "core/stream_hub_config.h"

namespace tidecast::core {

// A publish or play about to happen, as the access authorizers see it.
struct AccessRequest {
  enum class Kind { kPublish, kPlay };
  Kind kind = Kind::kPublish;
  std::string app;
  std::string key;    // the stream key, without the query
  std::string query;  // what followed '?' in the stream name or URL ("" if nothing)
  uint64_t session = 0;
  std::string protocol;  // "rtmp", "http-flv", ...
  std::string peer;
};
// The final stream key (a publish authorizer may rename the stream), or why access is denied.
using AccessDone = std::function<void(Result<std::string>)>;
// Decides asynchronously (a webhook) or at once (a signature check); calls `done` exactly once,
// on the loop thread, possibly before returning.
using AccessAuthorizer = std::function<void(const AccessRequest&, AccessDone done)>;

class StreamHub {
 public:
  // Reads the apps: and streams: sections of the context's config live (core/stream_hub_config.h):
  // a SIGHUP reload applies to the next publish and the next timeout check.
  StreamHub(LoopContext& context, EventBus& events);
  ~StreamHub();

  // Validates app/key and registers the publisher. Error codes: hub.bad_name,
  // hub.unknown_app, hub.bad_key, hub.already_publishing.
  Result<Stream*> startPublishing(std::string_view app, std::string_view key,
                                  SessionRecord& publisher);
  // A rendition of the live stream `source` ("app/key") produced in-process by core/transcode:
  // "app/key/<rung>", no authorization, announced as rendition.started (rendition.stopped
  // when it stops) so that packagers pick it up while webhooks and notifications stay for
  // streams people publish. Error codes: hub.bad_name, hub.not_found (no such source),
  // hub.already_publishing.
  Result<Stream*> startRendition(std::string_view source, std::string_view rung,
                                 SessionRecord& publisher);
  // The checks startPublishing() makes before it registers anyone (name, app, key, a live
  // publisher that would not be taken over), with the same error codes. For protocols that
  // answer before a session exists (SRT refuses at its handshake).
  Status checkPublish(std::string_view app, std::string_view key) const;
  // The publisher left (or was kicked): sinks get onStreamEnd, stream.stopped is announced.
  void stopPublishing(Stream& stream, std::string_view reason);

  Stream* find(std::string_view name);
  const Stream* find(std::string_view name) const;
  std::vector<Stream*> streams();

  // Adds a player sink to a live stream and announces player.joined.
  Result<Stream*> subscribe(std::string_view app, std::string_view key, StreamSink& sink,
                            const SessionRecord& player);
  // Removes it (if still attached) and announces player.left.
  void unsubscribe(Stream* stream, StreamSink& sink, const SessionRecord& player,
                   std::string_view reason);

  // Access authorization: the authorizers of a kind run in the order added, each seeing the
  // key the previous one let through; the first error denies. Protocol code calls
  // authorize() before startPublishing()/subscribe() and acts on `done` (which may come later:
  // the caller must cope with its session closing meanwhile). Error code hub.auth_busy when
  // kMaxPendingAuthorizations are in flight.
  uint64_t addAuthorizer(AccessRequest::Kind kind, AccessAuthorizer authorizer);
  void removeAuthorizer(uint64_t id);
  void authorize(AccessRequest request, AccessDone done);
  size_t pendingAuthorizations() const { return pendingAuthorizations_; }
  static constexpr size_t kMaxPendingAuthorizations = 1024;

  // Keys accepted besides the config's (the admin API's stored stream keys). Must not block.
  void setKeyCheck(std::function<bool(std::string_view app, std::string_view key)> check) {
    keyCheck_ = std::move(check);
  }

  SessionRegistry& sessions() { return sessions_; }
  EventBus& events() { return events_; }
  LoopContext& context() { return context_; }
  const AppsConfig& apps() const { return context_.config.get<AppsConfig>(); }
  const StreamsConfig& streamsConfig() const { return context_.config.get<StreamsConfig>(); }

  // "app/key" if both parts are valid names (1..128 of [A-Za-z0-9_.-], not "." or "..").
  static std::optional<std::string> streamName(std::string_view app, std::string_view key);

 private:
  void checkPublisherTimeouts();
  // Per-stream series (bitrate, fps, players, codec info), rebuilt at each /metrics render.
  void exportStreamMetrics();
  void announce(std::string type, const std::string& stream, const SessionRecord& session,
                std::string_view reason = {});

  LoopContext& context_;
  EventBus& events_;
  SessionRegistry sessions_;
  std::function<bool(std::string_view, std::string_view)> keyCheck_;
  std::map<std::string, std::unique_ptr<Stream>, std::less<>> streams_;
  Timer timeoutTimer_;
  Gauge& liveStreams_;
  Gauge& players_;
  std::vector<std::pair<std::string, Labels>> exported_;
  struct Authorizer {
    uint64_t id;
    AccessRequest::Kind kind;
    AccessAuthorizer fn;
  };
  std::vector<Authorizer> authorizers_;
  uint64_t nextAuthorizerId_ = 1;
  size_t pendingAuthorizations_ = 0;
};

}  // namespace tidecast::core
