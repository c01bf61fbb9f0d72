#include "delivery/cmaf/cmaf_plugin.h"

#include <algorithm>
#include <charconv>

#include "api/auth/signed_url.h"
#include "api/json_error.h"
#include "core/stream_name.h"

namespace tidecast::delivery::cmaf {

namespace {

constexpr uint64_t kTickMs = 50;
// A request for the segment in progress, or the next one, is held this many times the longest
// segment so far (at least the target): the next one can need two (the rest of the current
// segment, then its own), and twice that leaves room for a segment longer than any before it
// (a segment closes only at a keyframe, and an encoder's keyframes can come late).
constexpr uint64_t kSegmentHoldDurations = 4;
constexpr const char* kMetricNames[] = {
    "tidecast_delivery_cmaf_streams", "tidecast_delivery_held_requests",
    "tidecast_delivery_cmaf_segment_bytes", "tidecast_delivery_cmaf_mirrored_bytes"};

std::optional<uint64_t> parseNumber(std::string_view text) {
  uint64_t value = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

void notFound(api::HttpResponse& response, std::string_view what) {
  api::sendJsonError(response, 404, "cmaf.not_found", std::string(what));
}

void tooBusy(api::HttpResponse& response) {
  api::sendJsonError(response, 503, "cmaf.too_many_held_requests",
                     "too many requests waiting on this stream");
}

}  // namespace

std::string_view mediaContentType(const CmafTrack& track) {
  return track.type() == core::media::TrackType::kAudio ? "audio/mp4" : "video/mp4";
}

bool holdRequest(StreamPackager& packager, const std::shared_ptr<api::HttpResponse>& response,
                 uint64_t deadlineMs, std::function<bool()> ready, std::function<void()> expire) {
  Waiters& waiters = packager.waiters();
  auto finishReady = [response, ready = std::move(ready)] {
    if (response->clientGone()) return true;
    if (!ready()) return false;
    response->setOnClientGone(nullptr);
    return true;
  };
  auto finishExpire = [response, expire = std::move(expire)] {
    response->setOnClientGone(nullptr);
    if (!response->clientGone()) expire();
  };
  Waiters::Id id = waiters.park(deadlineMs, std::move(finishReady), std::move(finishExpire));
  if (id == 0) return false;
  response->setOnClientGone([&waiters, id] { waiters.cancel(id); });
  return true;
}

CmafPlugin::CmafPlugin() = default;
CmafPlugin::~CmafPlugin() {
  if (hub_ == nullptr) return;
  // Streams still live (the hub outlives the plug-ins) must not call destroyed sinks.
  for (auto& [name, packager] : packagers_) {
    if (core::Stream* stream = hub_->find(name)) stream->removeSink(*packager);
  }
  for (const char* name : kMetricNames) context_->metrics.remove(name);
}

void CmafPlugin::exportMetrics() {
  auto sum = [this](const std::function<double(StreamPackager&)>& of) {
    double total = 0;
    for (auto& [name, packager] : packagers_) total += of(*packager);
    return total;
  };
  auto trackBytes = [](CmafTrack* track, bool mirrored) -> double {
    if (track == nullptr) return 0;
    if (mirrored) return track->mirroredBytes();
    double bytes = 0;
    for (const Segment& s : track->segments()) bytes += static_cast<double>(s.size);
    return bytes;
  };
  core::MetricsRegistry& metrics = context_->metrics;
  metrics.gaugeCallback(kMetricNames[0], "Streams packaged as CMAF (live or lingering)",
                        [this] { return static_cast<double>(packagers_.size()); });
  metrics.gaugeCallback(kMetricNames[1], "Requests held until a part or segment exists", [sum] {
    return sum([](StreamPackager& p) { return static_cast<double>(p.waiters().size()); });
  });
  metrics.gaugeCallback(kMetricNames[2], "Bytes of CMAF segments held in memory",
                        [sum, trackBytes] {
                          return sum([&](StreamPackager& p) {
                            return trackBytes(p.video(), false) + trackBytes(p.audio(), false);
                          });
                        });
  metrics.gaugeCallback(kMetricNames[3], "Bytes of live-edge parts mirrored in memfds for sendfile",
                        [sum, trackBytes] {
                          return sum([&](StreamPackager& p) {
                            return trackBytes(p.video(), true) + trackBytes(p.audio(), true);
                          });
                        });
}

core::Status CmafPlugin::mount(api::PluginContext& context) {
  context_ = &context.loop;
  hub_ = &context.hub;
  settings_ = context.config.get<CmafConfig>();
  settings_.partTargetMs = std::min(settings_.partTargetMs, settings_.segmentTargetMs / 2);
  context.services.offer(*this);
  context.events.subscribe("stream.started",
                           [this](const core::Event& event) { onStreamStarted(event); });
  timer_ = std::make_unique<core::Timer>(context.loop.loop);
  timer_->start(kTickMs, kTickMs, [this] { tick(); });
  uv_unref(reinterpret_cast<uv_handle_t*>(timer_->raw()));
  exportMetrics();
  context.events.subscribe("rendition.started",
                           [this](const core::Event& event) { onRenditionStarted(event); });
  context.router.add(
      "GET", "/{app}/{key}/{track}/{file}",
      [this](api::HttpRequest& request, const auto& response) { serveObject(request, response); });
  context.router.add(
      "GET", "/{app}/{key}/{rung}/{track}/{file}",
      [this](api::HttpRequest& request, const auto& response) { serveObject(request, response); });
  return {};
}

StreamPackager& CmafPlugin::packagerFor(core::Stream& stream) {
  auto it = packagers_.find(stream.name());
  if (it == packagers_.end()) {
    it = packagers_
             .emplace(stream.name(),
                      std::make_unique<StreamPackager>(stream.name(), settings_, *context_))
             .first;
  }
  return *it->second;
}

void CmafPlugin::onStreamStarted(const core::Event& event) {
  core::Stream* stream = hub_->find(event.stream);
  if (stream == nullptr) return;
  packagerFor(*stream).attach(*stream);
}

void CmafPlugin::onRenditionStarted(const core::Event& event) {
  core::Stream* stream = hub_->find(event.stream);
  if (stream == nullptr || stream->renditionOf().empty()) return;
  StreamPackager& packager = packagerFor(*stream);
  // Looked up at each use: the source's packager may go (linger) before the rendition's.
  packager.follow([this, source = stream->renditionOf()]() -> StreamPackager* {
    auto it = packagers_.find(source);
    return it == packagers_.end() ? nullptr : it->second.get();
  });
  packager.attach(*stream);
}

StreamPackager* CmafPlugin::rendition(const StreamPackager& source, std::string_view rung) {
  if (rung.empty()) return nullptr;
  auto it = packagers_.find(source.name() + "/" + std::string(rung));
  return it == packagers_.end() ? nullptr : it->second.get();
}

std::string_view CmafPlugin::rungName(const StreamPackager& rendition) {
  std::string_view name = rendition.name();
  return name.substr(name.rfind('/') + 1);
}

std::vector<StreamPackager*> CmafPlugin::renditions(const StreamPackager& source) {
  std::vector<StreamPackager*> out;
  std::string prefix = source.name() + "/";
  for (auto it = packagers_.lower_bound(prefix);
       it != packagers_.end() && it->first.starts_with(prefix); ++it) {
    StreamPackager& p = *it->second;
    bool current = p.live() || !source.live();
    if (current && p.video() != nullptr && !p.video()->segments().empty()) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(), [](StreamPackager* a, StreamPackager* b) {
    return a->video()->description().height > b->video()->description().height;
  });
  return out;
}

StreamPackager* CmafPlugin::find(std::string_view app, std::string_view key) {
  auto name = core::StreamHub::streamName(app, key);
  if (!name) return nullptr;
  auto it = packagers_.find(*name);
  return it == packagers_.end() ? nullptr : it->second.get();
}

void CmafPlugin::tick() {
  uint64_t now = nowMs();
  for (auto it = packagers_.begin(); it != packagers_.end();) {
    StreamPackager& packager = *it->second;
    packager.waiters().expire(now);
    if (!packager.live() && now - packager.endedAtMs() >= settings_.lingerMs) {
      context_->log.info("cmaf.stream_removed stream={}", core::publicStreamName(packager.name()));
      it = packagers_.erase(it);  // the destructor expires what still waits
    } else {
      ++it;
    }
  }
}

StreamPackager* CmafPlugin::playbackPackager(api::HttpRequest& request, api::HttpResponse& response,
                                             std::string* signedQuery) {
  std::string_view app = request.param("app");
  std::string_view key = request.param("key");
  if (!api::auth::allowPlayback(context_->config, request, app, key, response)) return nullptr;
  if (signedQuery != nullptr) {
    *signedQuery =
        api::auth::playbackQuery(api::auth::findApp(context_->config, app), request.query);
  }
  StreamPackager* packager = find(app, key);
  if (packager == nullptr) {
    api::sendJsonError(response, 404, "stream_not_found",
                       "no live stream " + std::string(app) + "/" + std::string(key));
  }
  return packager;
}

void CmafPlugin::answerWhenReady(StreamPackager& packager,
                                 const std::shared_ptr<api::HttpResponse>& response,
                                 std::function<bool()> ready, uint64_t holdMs,
                                 std::string_view prefix, std::string notReadyMessage,
                                 bool onlyWhileLive) {
  if (ready()) return;
  if (onlyWhileLive && !packager.live()) {
    return api::sendJsonError(*response, 404, "stream_not_found", "the stream has no segments");
  }
  std::string code = std::string(prefix) + ".not_ready";
  bool held = holdRequest(packager, response, nowMs() + holdMs, std::move(ready),
                          [response, code, message = std::move(notReadyMessage)] {
                            api::sendJsonError(*response, 503, code, message);
                          });
  if (!held) {
    api::sendJsonError(*response, 503, std::string(prefix) + ".busy", "too many held requests");
  }
}

void CmafPlugin::serveObject(api::HttpRequest& request,
                             const std::shared_ptr<api::HttpResponse>& response) {
  StreamPackager* packager = playbackPackager(request, *response);
  if (packager == nullptr) return;
  if (std::string_view rung = request.param("rung"); !rung.empty()) {
    packager = rendition(*packager, rung);
    if (packager == nullptr) return notFound(*response, "no such rendition");
  }
  CmafTrack* track = packager->track(request.param("track"));
  if (track == nullptr) return notFound(*response, "no such track");
  std::string_view file = request.param("file");
  if (file == "init.mp4") {
    return response->send(
        200,
        {{"Content-Type", std::string(mediaContentType(*track))}, {"Cache-Control", "no-cache"}},
        {track->init(track->initVersion())});
  }
  if (file.starts_with("init") && file.ends_with(".mp4")) {
    auto version = parseNumber(file.substr(4, file.size() - 8));
    core::Slice init = version ? track->init(static_cast<uint32_t>(*version)) : core::Slice{};
    if (init.empty()) return notFound(*response, "no such init segment");
    return response->send(200,
                          {{"Content-Type", std::string(mediaContentType(*track))},
                           {"Cache-Control", std::string(kImmutable)}},
                          {init});
  }
  if (!file.ends_with(".m4s")) return notFound(*response, "no such object");
  file.remove_suffix(4);
  if (file.starts_with("p")) {
    auto id = parseNumber(file.substr(1));
    if (!id) return notFound(*response, "no such part");
    return servePart(*packager, *track, *id, response);
  }
  if (file.starts_with("t")) {  // "t<start>.m4s", the MPD's $Time$ addressing
    auto time = parseNumber(file.substr(1));
    if (!time) return notFound(*response, "no such segment");
    // A predicted start is off by less than half a segment (see CmafTrack::segmentAt).
    uint64_t tolerance = uint64_t{settings_.segmentTargetMs} * track->timescale() / 2000;
    std::optional<uint64_t> msn = track->segmentAt(*time, tolerance);
    if (!msn) return notFound(*response, "no such segment");
    return serveSegment(*packager, *track, *msn, response);
  }
  auto msn = parseNumber(file);
  if (!msn) return notFound(*response, "no such segment");
  serveSegment(*packager, *track, *msn, response);
}

void CmafPlugin::servePart(StreamPackager& packager, CmafTrack& track, uint64_t id,
                           const std::shared_ptr<api::HttpResponse>& response) {
  auto send = [response, &track](const PartPtr& part) {
    response->send(200,
                   {{"Content-Type", std::string(mediaContentType(track))},
                    {"Cache-Control", std::string(kImmutable)}},
                   part->bytes);
  };
  if (PartPtr part = track.part(id)) return send(part);
  // The preload-hinted part (or the one after it): answer the moment it is complete.
  if (!packager.live() || id < track.nextPartId() || id > track.nextPartId() + 1) {
    return notFound(*response, "no such part");
  }
  uint64_t deadline = nowMs() + kHoldTargetDurations * settings_.segmentTargetMs;
  bool held = holdRequest(
      packager, response, deadline,
      [&track, id, send] {
        PartPtr part = track.part(id);
        if (part) send(part);
        return part != nullptr;
      },
      [response] { notFound(*response, "part not produced in time"); });
  if (!held) tooBusy(*response);
}

void CmafPlugin::serveSegment(StreamPackager& packager, CmafTrack& track, uint64_t msn,
                              const std::shared_ptr<api::HttpResponse>& response) {
  const Segment* segment = track.segment(msn);
  if (segment != nullptr && segment->complete) {
    return response->send(200,
                          {{"Content-Type", std::string(mediaContentType(track))},
                           {"Cache-Control", std::string(kImmutable)}},
                          track.segmentBytes(*segment));
  }
  bool upcoming = segment == nullptr && msn == track.nextMsn() && packager.live();
  if (segment == nullptr && !upcoming) return notFound(*response, "no such segment");
  // In progress (or next): stream it part by part as the packager produces them.
  auto sent = std::make_shared<size_t>(0);
  auto pump = [response, &track, msn, sent] {
    const Segment* s = track.segment(msn);
    if (s == nullptr) return false;  // not started yet
    if (!response->started()) {
      response->beginStream(200, {{"Content-Type", std::string(mediaContentType(track))},
                                  {"Cache-Control", std::string(kImmutable)}});
    }
    if (*sent < s->parts.size()) {
      core::SliceList bytes = track.segmentBytes(*s, *sent);
      *sent = s->parts.size();
      if (!response->writeChunk(bytes)) return true;
    }
    if (!s->complete) return false;
    response->endStream();
    return true;
  };
  if (pump()) return;
  uint64_t limit = std::max<uint64_t>(settings_.segmentTargetMs,
                                      track.maxSegmentDuration() * 1000 / track.timescale());
  uint64_t deadline = nowMs() + kSegmentHoldDurations * limit;
  bool held = holdRequest(packager, response, deadline, pump, [response] {
    if (response->started()) {
      response->abort("segment not completed in time");
    } else {
      notFound(*response, "segment not produced in time");
    }
  });
  if (!held) tooBusy(*response);
}

}  // namespace tidecast::delivery::cmaf
