#include "ingest/rtmp/rtmp_session.h"

#include "core/media/flv_tag.h"
#include "core/stream_name.h"
#include "ingest/rtmp/rtmp_server.h"

namespace tidecast::ingest::rtmp {

namespace {
constexpr uint32_t kCommandChunkStream = 3;
constexpr uint32_t kStatusChunkStream = 5;
constexpr uint64_t kLingerMs = 2000;  // after an error status, time for the client to read it
constexpr uint64_t kCommandWindowMs = 1000;
// "@setDataFrame" as an AMF0 string: marker, 16-bit length, 13 bytes.
constexpr std::string_view kSetDataFrame("\x02\x00\x0d@setDataFrame", 16);
constexpr std::string_view kOnMetaData("\x02\x00\x0aonMetaData", 13);

// "key?token=x" → "key"; "live/" → "live".
std::string_view stripQuery(std::string_view name) {
  name = name.substr(0, name.find('?'));
  while (!name.empty() && name.back() == '/') name.remove_suffix(1);
  return name;
}

// "key?expires=1&signature=x" → "expires=1&signature=x"; "" without a query.
std::string queryOf(std::string_view name) {
  size_t question = name.find('?');
  return question == std::string_view::npos ? std::string()
                                            : std::string(name.substr(question + 1));
}

AmfValue statusObject(std::string_view level, std::string_view code, std::string_view text) {
  return AmfValue::object({{"level", AmfValue::string(std::string(level))},
                           {"code", AmfValue::string(std::string(code))},
                           {"description", AmfValue::string(std::string(text))}});
}
}  // namespace

RtmpSession::RtmpSession(RtmpServer& server, std::unique_ptr<core::TcpStream> stream, uint64_t id)
    : server_(server),
      stream_(std::move(stream)),
      id_(id),
      reader_(server.settings().chunkLimits),
      writer_(kDefaultChunkSize),
      timer_(server.context().loop),
      backlog_(server.playerBacklog()) {}

RtmpSession::~RtmpSession() = default;

void RtmpSession::start() {
  stream_->startRead(
      [this](std::string_view bytes) { onData(bytes); },
      [this](int status) { close(status == UV_EOF ? "peer closed" : uv_err_name(status)); });
  timer_.start(server_.settings().connectTimeoutMs, 0, [this] {
    fail(core::makeError("rtmp.connect_timeout", "no publish or play within the time limit"));
  });
}

bool RtmpSession::cancelAuthorization() {
  if (!authorizing_) return false;
  authorizing_ = false;
  authGuard_ = std::make_shared<int>(0);  // the pending answer finds its guard expired
  return true;
}

std::string RtmpSession::describePeer() const {
  return stream_->peer().ip + ":" + std::to_string(stream_->peer().port);
}

// ---- input -----------------------------------------------------------------------------

void RtmpSession::onData(std::string_view bytes) {
  if (closing_ || closed_) return;
  server_.bytesIn.inc(bytes.size());
  if (record_) record_->bytesIn += bytes.size();
  if (!handshake_.done()) {
    auto used = handshake_.consume(bytes);
    if (!used) return fail(used.error());
    write(handshake_.takeOutput());
    bytes.remove_prefix(*used);
    if (!handshake_.done()) return;
  }
  if (auto status = reader_.feed(bytes, [this](RtmpMessage&& m) { onMessage(std::move(m)); });
      !status) {
    return fail(status.error());
  }
  acknowledge();
}

void RtmpSession::acknowledge() {
  if (closed_ || closing_ || peerWindowAck_ == 0) return;
  uint64_t received = reader_.bytesReceived();
  if (received - lastAckAt_ < peerWindowAck_) return;
  lastAckAt_ = received;
  sendControl(kMsgAcknowledgement, makeAcknowledgement(static_cast<uint32_t>(received)));
}

void RtmpSession::onMessage(RtmpMessage&& message) {
  if (closed_ || closing_) return;
  switch (message.typeId) {
    case kMsgAudio:
    case kMsgVideo:
      onMedia(message);
      return;
    case kMsgAmf0Data:
      onDataMessage(message);
      return;
    case kMsgAmf0Command:
    case kMsgAmf3Command:
      onCommand(message);
      return;
    case kMsgAggregate: {
      auto parts = splitAggregate(message);
      if (!parts) return fail(parts.error());
      for (auto& part : *parts) onMessage(std::move(part));
      return;
    }
    default:
      onControl(message);
      return;
  }
}

void RtmpSession::onControl(const RtmpMessage& message) {
  if (message.typeId == kMsgWindowAckSize) {
    peerWindowAck_ = controlValue(message.payload).value_or(0);
  } else if (message.typeId == kMsgUserControl) {
    auto control = parseUserControl(message.payload);
    if (control && control->event == UserControlEvent::kPingRequest) {
      sendControl(kMsgUserControl,
                  makeUserControl(UserControlEvent::kPingResponse, control->value));
    }
  }
  // Set Chunk Size and Abort were applied by the reader; Acknowledgement, Set Peer Bandwidth
  // and shared objects need no answer.
}

void RtmpSession::onDataMessage(const RtmpMessage& message) {
  std::string_view bytes = message.payload.view();
  core::Slice data;
  if (bytes.starts_with(kSetDataFrame)) {
    data = message.payload.sub(kSetDataFrame.size());  // "onMetaData", {…}: as players expect it
  } else if (bytes.starts_with(kOnMetaData)) {
    data = message.payload;
  } else {
    return;  // other script data (cue points, …) is not relayed yet
  }
  if (publishing_ == nullptr) return;
  auto packet = std::make_shared<core::media::MediaPacket>();
  packet->track = core::media::TrackType::kData;
  packet->codec = core::media::Codec::kAmfData;
  packet->dts = message.timestamp;
  packet->data = std::move(data);
  publishing_->push(packet, server_.context().loop.nowMs());
}

void RtmpSession::onMedia(const RtmpMessage& message) {
  if (publishing_ == nullptr || message.payload.empty()) return;
  server_.mediaMessages.inc();
  server_.payloadBytesAllocated.inc(message.payload.size());
  auto parsed = message.typeId == kMsgVideo
                    ? core::media::parseFlvVideoTag(message.payload, message.timestamp)
                    : core::media::parseFlvAudioTag(message.payload, message.timestamp);
  if (!parsed) {
    if (parsed.error().code == "media.ignored") return;  // a command frame, silence, …
    // One bad tag loses one frame, not the stream; counted so it can be seen.
    server_.countError(parsed.error().code);
    server_.context().log.debug("rtmp.bad_media conn={} stream={} code={} error=\"{}\"", id_,
                                core::publicStreamName(publishing_->name()), parsed.error().code,
                                parsed.error().message);
    return;
  }
  publishing_->push(std::make_shared<core::media::MediaPacket>(std::move(*parsed)),
                    server_.context().loop.nowMs());
}

// ---- commands ----------------------------------------------------------------------------

void RtmpSession::onCommand(const RtmpMessage& message) {
  uint64_t now = server_.context().loop.nowMs();
  if (now - commandWindowMs_ >= kCommandWindowMs) {
    commandWindowMs_ = now;
    commandsInWindow_ = 0;
  }
  if (++commandsInWindow_ > server_.settings().commandsPerSecond) {
    return fail(core::makeError("rtmp.command_flood", "too many commands per second"));
  }
  // An AMF3 command message is AMF0 after a one-byte format marker.
  core::Slice payload =
      message.typeId == kMsgAmf3Command ? message.payload.sub(1) : message.payload;
  auto values = decodeAmf0(payload.span(), server_.settings().amfLimits);
  if (!values) return fail(values.error());
  if (values->size() < 2 || !(*values)[0].isString()) {
    return fail(core::makeError("rtmp.bad_command", "command without a name and transaction id"));
  }
  std::string name(*(*values)[0].asString());
  double txId = (*values)[1].asNumber().value_or(0);
  const AmfValue* object = values->size() > 2 ? &(*values)[2] : nullptr;
  std::vector<AmfValue> args(values->begin() + std::min<size_t>(3, values->size()), values->end());

  if (name == "connect") return handleConnect(txId, object);
  if (!connected_) return fail(core::makeError("rtmp.not_connected", name + " before connect"));
  if (name == "createStream") return handleCreateStream(txId);
  if (name == "publish") return handlePublish(txId, message.streamId, args);
  if (name == "play") return handlePlay(txId, message.streamId, args);
  if (name == "releaseStream" || name == "FCPublish" || name == "FCSubscribe") {
    sendResult(txId, AmfValue::null(), AmfValue::undefined());
    if (name == "FCPublish") handleFCPublish();
    return;
  }
  if (name == "deleteStream" || name == "closeStream" || name == "FCUnpublish") {
    return handleStop(name);
  }
  // getStreamLength, _checkbw, receiveAudio/Video, pause, seek…: nothing to do for live.
}

void RtmpSession::handleConnect(double txId, const AmfValue* commandObject) {
  if (connected_) return fail(core::makeError("rtmp.bad_command", "connect twice"));
  const AmfValue* appValue = commandObject ? commandObject->get("app") : nullptr;
  auto app = appValue ? appValue->asString() : std::nullopt;
  app_ = std::string(stripQuery(app.value_or("")));
  if (server_.hub().apps().find(app_) == nullptr) {
    sendCommand(0, encodeAmf0({AmfValue::string("_error"), AmfValue::number(txId), AmfValue::null(),
                               statusObject("error", "NetConnection.Connect.Rejected",
                                            "Unknown application '" + app_ + "'.")}));
    return closeAfterFlush("unknown app");
  }
  connected_ = true;
  sendControl(kMsgWindowAckSize, makeWindowAckSize(server_.settings().windowAckSize));
  sendControl(kMsgSetPeerBandwidth,
              makeSetPeerBandwidth(server_.settings().windowAckSize, BandwidthLimit::kDynamic));
  core::SliceList out;
  writer_.writeSetChunkSize(server_.settings().outChunkSize, out);
  write(out);
  const AmfValue* encoding = commandObject ? commandObject->get("objectEncoding") : nullptr;
  AmfValue info = AmfValue::object(
      {{"level", AmfValue::string("status")},
       {"code", AmfValue::string("NetConnection.Connect.Success")},
       {"description", AmfValue::string("Connection succeeded.")},
       {"objectEncoding", AmfValue::number(encoding ? encoding->asNumber().value_or(0) : 0)}});
  sendResult(txId,
             AmfValue::object({{"fmsVer", AmfValue::string("FMS/3,0,1,123")},
                               {"capabilities", AmfValue::number(31)}}),
             info);
}

// FCPublish (FMLE, OBS, ffmpeg) comes before publish and is answered by onFCPublish, which
// must not claim NetStream.Publish.Start before the hub accepted the publish: the answer waits
// for startPublishing() and a refused publish never gets one (SRS sends it with the publish
// answer too). ffmpeg ignores onFCPublish; encoders that read it see Start right before
// onStatus NetStream.Publish.Start.
void RtmpSession::handleFCPublish() {
  fcPublishAsked_ = true;
  if (publishing_) sendFCPublishStart();  // FCPublish after the publish was accepted
}

void RtmpSession::sendFCPublishStart() {
  if (!std::exchange(fcPublishAsked_, false)) return;
  sendCommand(0, encodeAmf0({AmfValue::string("onFCPublish"), AmfValue::number(0), AmfValue::null(),
                             statusObject("status", "NetStream.Publish.Start",
                                          "Publishing " + publishing_->name() + ".")}));
}

void RtmpSession::handleCreateStream(double txId) {
  uint32_t streamId = nextStreamId_++;
  sendResult(txId, AmfValue::null(), AmfValue::number(streamId));
}

void RtmpSession::handlePublish(double, uint32_t streamId, const std::vector<AmfValue>& args) {
  if (publishing_ || playing_ || authorizing_) {
    return fail(core::makeError("rtmp.bad_command", "publish twice"));
  }
  auto name = args.empty() ? std::nullopt : args[0].asString();
  std::string key(stripQuery(name.value_or("")));
  auto& hub = server_.hub();
  record_ = &hub.sessions().open(core::SessionRecord::Role::kPublisher, "rtmp", describePeer());
  record_->close = [this](std::string_view reason) { close(reason); };
  // The client waits for onStatus: nothing is sent until the authorizers answered.
  authorize(core::AccessRequest::Kind::kPublish, key, queryOf(name.value_or("")),
            [this, streamId, key](core::Result<std::string> finalKey) {
              if (!finalKey) return refusePublish(streamId, key, finalKey.error());
              startPublishing(streamId, *finalKey);
            });
}

void RtmpSession::authorize(core::AccessRequest::Kind kind, std::string key, std::string query,
                            std::function<void(core::Result<std::string>)> then) {
  authorizing_ = true;
  core::AccessRequest request{
      kind,   app_,          std::move(key), std::move(query), record_ ? record_->id : 0,
      "rtmp", describePeer()};
  server_.hub().authorize(std::move(request), [this, guard = std::weak_ptr<int>(authGuard_),
                                               then = std::move(then)](auto result) {
    if (guard.expired()) return;  // closed or stopped while the check was in flight
    authorizing_ = false;
    then(std::move(result));
  });
}

void RtmpSession::refusePublish(uint32_t streamId, const std::string& key,
                                const core::Error& error) {
  const auto& code = error.code;
  bool badName =
      code == "hub.bad_name" || code == "hub.unknown_app" || code == "hub.already_publishing";
  server_.context().log.warn("rtmp.publish_refused conn={} peer={} app={} key={} code={}", id_,
                             describePeer(), app_, core::publicStreamKey(key), code);
  server_.countError(code);
  sendStatus(streamId, "error", badName ? "NetStream.Publish.BadName" : "NetStream.Publish.Denied",
             error.message);
  if (record_) server_.hub().sessions().remove(record_->id);
  record_ = nullptr;
  closeAfterFlush(code);
}

void RtmpSession::startPublishing(uint32_t streamId, const std::string& key) {
  auto stream = server_.hub().startPublishing(app_, key, *record_);
  if (!stream) return refusePublish(streamId, key, stream.error());
  publishing_ = *stream;
  timer_.stop();
  sendFCPublishStart();
  sendStatus(streamId, "status", "NetStream.Publish.Start",
             "Publishing " + publishing_->name() + ".");
}

void RtmpSession::handlePlay(double, uint32_t streamId, const std::vector<AmfValue>& args) {
  if (publishing_ || playing_ || authorizing_) {
    return fail(core::makeError("rtmp.bad_command", "play twice"));
  }
  auto name = args.empty() ? std::nullopt : args[0].asString();
  std::string key(stripQuery(name.value_or("")));
  auto streamName = core::StreamHub::streamName(app_, key);
  if (!streamName || server_.hub().find(*streamName) == nullptr) {
    sendStatus(streamId, "error", "NetStream.Play.StreamNotFound",
               "No live stream " + app_ + "/" + key + ".");
    return closeAfterFlush("stream not found");
  }
  record_ =
      &server_.hub().sessions().open(core::SessionRecord::Role::kPlayer, "rtmp", describePeer());
  record_->close = [this](std::string_view reason) { close(reason); };
  authorize(core::AccessRequest::Kind::kPlay, key, queryOf(name.value_or("")),
            [this, streamId, key](core::Result<std::string> allowed) {
              if (allowed) return startPlaying(streamId, *allowed);
              server_.context().log.warn("rtmp.play_refused conn={} peer={} app={} key={} code={}",
                                         id_, describePeer(), app_, core::publicStreamKey(key),
                                         allowed.error().code);
              server_.countError(allowed.error().code);
              sendStatus(streamId, "error", "NetStream.Play.Failed", allowed.error().message);
              server_.hub().sessions().remove(record_->id);
              record_ = nullptr;
              closeAfterFlush(allowed.error().code);
            });
}

void RtmpSession::startPlaying(uint32_t streamId, const std::string& key) {
  auto& hub = server_.hub();
  auto streamName = core::StreamHub::streamName(app_, key);
  if (!streamName || hub.find(*streamName) == nullptr) {  // it may have ended meanwhile
    sendStatus(streamId, "error", "NetStream.Play.StreamNotFound",
               "No live stream " + app_ + "/" + key + ".");
    hub.sessions().remove(record_->id);
    record_ = nullptr;
    return closeAfterFlush("stream not found");
  }
  playStreamId_ = streamId;
  record_->stream = *streamName;
  timer_.stop();
  sendControl(kMsgUserControl, makeUserControl(UserControlEvent::kStreamBegin, streamId));
  sendStatus(streamId, "status", "NetStream.Play.Reset", "Playing and resetting " + key + ".");
  sendStatus(streamId, "status", "NetStream.Play.Start", "Started playing " + key + ".");
  core::SliceList out;
  writer_.writeMessage(
      kStatusChunkStream, kMsgAmf0Data, streamId, 0,
      {core::Slice::fromString(encodeAmf0({AmfValue::string("|RtmpSampleAccess"),
                                           AmfValue::boolean(true), AmfValue::boolean(true)}))},
      out);
  write(out);
  auto stream = hub.subscribe(app_, key, *this, *record_);  // replays the GOP into onPacket
  if (stream && !closed_) {
    playing_ = *stream;
    stream_->flushNow();  // the start-up burst leaves at once; live packets are merged
    stream_->setWriteMerge(server_.playerBacklog().writeMergeMs);
  }
}

void RtmpSession::handleStop(std::string_view command) {
  auto& hub = server_.hub();
  bool joined = !cancelAuthorization();
  if (publishing_) {
    core::Stream* stream = std::exchange(publishing_, nullptr);
    hub.stopPublishing(*stream, "unpublished (" + std::string(command) + ")");
  }
  if (record_ && record_->role == core::SessionRecord::Role::kPlayer && joined) {
    hub.unsubscribe(std::exchange(playing_, nullptr), *this, *record_, "stopped");
  }
  if (record_) {
    hub.sessions().remove(record_->id);
    record_ = nullptr;
  }
}

// ---- playing ---------------------------------------------------------------------------

void RtmpSession::onPacket(const core::media::MediaPacketPtr& packet) {
  if (closed_ || closing_) return;
  if (!core::media::flvCarries(packet->codec)) {
    // MP2 from SRT: the player gets the video without it (said once per player).
    if (!skippedTrack_) {
      skippedTrack_ = true;
      server_.context().log.info(
          "rtmp.play_track_skipped conn={} stream={} codec={} reason=\"RTMP cannot carry it\"", id_,
          core::publicStreamName(record_ ? record_->stream : ""),
          core::media::codecName(packet->codec));
    }
    return;
  }
  switch (backlog_.decide(*packet, stream_->pendingBytes())) {
    case core::BacklogPolicy::Decision::kSkip:
      return;
    case core::BacklogPolicy::Decision::kDrop:
      return fail(core::makeError("rtmp.player_too_slow", "player fell too far behind"));
    case core::BacklogPolicy::Decision::kSend:
      write(server_.chunked(packet, playStreamId_));
  }
}

void RtmpSession::onStreamEnd(std::string_view reason) {
  playing_ = nullptr;
  if (closed_ || closing_) return;
  sendControl(kMsgUserControl, makeUserControl(UserControlEvent::kStreamEof, playStreamId_));
  sendStatus(playStreamId_, "status", "NetStream.Play.UnpublishNotify", std::string(reason));
  sendStatus(playStreamId_, "status", "NetStream.Play.Stop", "Stream ended.");
  closeAfterFlush("stream ended");
}

// ---- output ----------------------------------------------------------------------------

void RtmpSession::write(const core::SliceList& bytes) {
  if (closed_) return;
  size_t size = core::totalSize(bytes);
  server_.bytesOut.inc(size);
  if (record_) record_->bytesOut += size;
  stream_->write(bytes);
}

void RtmpSession::sendControl(uint8_t typeId, core::Slice payload) {
  core::SliceList out;
  writer_.writeControl(typeId, std::move(payload), out);
  write(out);
}

void RtmpSession::sendCommand(uint32_t streamId, const std::string& amf) {
  core::SliceList out;
  writer_.writeMessage(streamId == 0 ? kCommandChunkStream : kStatusChunkStream, kMsgAmf0Command,
                       streamId, 0, {core::Slice::copyOf(amf)}, out);
  write(out);
}

void RtmpSession::sendResult(double txId, const AmfValue& properties, const AmfValue& info) {
  sendCommand(0,
              encodeAmf0({AmfValue::string("_result"), AmfValue::number(txId), properties, info}));
}

void RtmpSession::sendStatus(uint32_t streamId, std::string_view level, std::string_view code,
                             std::string_view description) {
  sendCommand(streamId, encodeAmf0({AmfValue::string("onStatus"), AmfValue::number(0),
                                    AmfValue::null(), statusObject(level, code, description)}));
}

// ---- closing ---------------------------------------------------------------------------

void RtmpSession::fail(const core::Error& error) {
  if (closed_) return;
  server_.countError(error.code);
  server_.context().log.warn("rtmp.close conn={} peer={} code={} reason=\"{}\"", id_,
                             describePeer(), error.code, error.message);
  close(error.message);
}

void RtmpSession::closeAfterFlush(std::string_view reason) {
  if (closing_ || closed_) return;
  closing_ = true;
  std::string why(reason);
  stream_->stopRead();
  stream_->setOnDrain([this, why] { close(why); });
  timer_.start(kLingerMs, 0, [this, why] { close(why); });
  stream_->shutdownAfterWrites();
}

void RtmpSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  auto& hub = server_.hub();
  bool joined = !cancelAuthorization();
  if (publishing_) hub.stopPublishing(*std::exchange(publishing_, nullptr), reason);
  if (record_ && record_->role == core::SessionRecord::Role::kPlayer && joined) {
    // Also after the stream ended (playing_ is then null): announces player.left.
    hub.unsubscribe(std::exchange(playing_, nullptr), *this, *record_, reason);
  }
  if (record_) hub.sessions().remove(record_->id);
  record_ = nullptr;
  server_.context().log.debug("rtmp.closed conn={} peer={} reason=\"{}\"", id_, describePeer(),
                              reason);
  timer_.close();
  stream_->close();
  server_.release(*this);  // destroyed on the next loop turn
}

}  // namespace tidecast::ingest::rtmp
