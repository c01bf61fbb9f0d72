// An RTMP player as ffmpeg/librtmp behave: simple handshake, connect, createStream, play (+ Set
// Buffer Length), Acknowledgements every half Window Ack Size (nginx-rtmp stops sending to a
// client that never acknowledges), Ping Responses. Incoming chunks are parsed with the
// server's own ChunkReader; audio/video payloads are counted, never decoded.
#include <cstdio>
#include <string>
#include <string_view>

#include "bench/load/player.h"
#include "ingest/rtmp/amf0.h"
#include "ingest/rtmp/chunk_reader.h"
#include "ingest/rtmp/chunk_writer.h"
#include "ingest/rtmp/handshake.h"

namespace tidecast::bench {
namespace {

using ingest::rtmp::AmfValue;
namespace rtmp = ingest::rtmp;

constexpr uint32_t kCommandChunkStream = 3;
constexpr uint32_t kPlayChunkStream = 8;  // ffmpeg's RTMP_SOURCE_CHANNEL
constexpr double kTxConnect = 1;
constexpr double kTxCreateStream = 2;
constexpr double kTxPlay = 3;
constexpr uint32_t kBufferLengthMs = 3000;

// A video message payload is an FLV video tag body: is it a coded frame, and a key frame?
void classifyVideo(const core::Slice& payload, bool& coded, bool& key) {
  coded = false;
  key = false;
  if (payload.empty()) return;
  uint8_t b0 = payload.data()[0];
  if (b0 & 0x80) {  // Enhanced RTMP: [1 ex][3 frame type][4 packet type]
    uint8_t packetType = b0 & 0x0F;
    coded = packetType == 1 || packetType == 3;
    key = coded && ((b0 >> 4) & 0x07) == 1;
    return;
  }
  uint8_t codec = b0 & 0x0F;
  if (codec == 7 || codec == 12) {  // AVC / legacy HEVC: AVCPacketType 1 = NAL units
    coded = payload.size() > 1 && payload.data()[1] == 1;
  } else {
    coded = true;
  }
  key = coded && (b0 >> 4) == 1;
}

class RtmpPlayer final : public StreamPlayer {
 public:
  RtmpPlayer(core::Loop& loop, const Target& target, const PlayerOptions& options)
      : StreamPlayer(loop, target, options), writer_(rtmp::kDefaultChunkSize) {}

 private:
  void onOpen() override { stream_->write(handshake_.takeOutput()); }

  void onData(std::string_view bytes) override {
    if (stats_.failed) return;
    stats_.wireBytes += bytes.size();
    if (!handshake_.done()) {
      auto used = handshake_.consume(bytes);
      if (!used) return fail("handshake: " + used.error().code);
      stream_->write(handshake_.takeOutput());  // C2 once S2 checked out
      bytes.remove_prefix(*used);
      if (!handshake_.done()) return;
      sendConnect();
    }
    auto status = reader_.feed(bytes, [this](rtmp::RtmpMessage&& m) { onMessage(std::move(m)); });
    if (!status) return fail("chunks: " + status.error().code);
    acknowledge();
  }

  void acknowledge() {
    if (stats_.failed || windowAck_ == 0) return;
    // Sequence number: every byte received, handshake included (as ffmpeg and librtmp count).
    uint64_t received = stats_.wireBytes;
    if (received - lastAckAt_ < windowAck_ / 2) return;
    lastAckAt_ = received;
    sendControl(rtmp::kMsgAcknowledgement,
                rtmp::makeAcknowledgement(static_cast<uint32_t>(received)));
  }

  void onMessage(rtmp::RtmpMessage&& message) {
    if (stats_.failed) return;
    switch (message.typeId) {
      case rtmp::kMsgVideo: {
        bool coded = false;
        bool key = false;
        classifyVideo(message.payload, coded, key);
        stats_.media(nowNs(), message.payload.size(), true, coded, key, options_.stallNs);
        return;
      }
      case rtmp::kMsgAudio:
        if (!message.payload.empty()) {
          stats_.media(nowNs(), message.payload.size(), false, true, false, options_.stallNs);
        }
        return;
      case rtmp::kMsgAmf0Command:
      case rtmp::kMsgAmf3Command:
        return onCommand(message);
      case rtmp::kMsgWindowAckSize:
        windowAck_ = rtmp::controlValue(message.payload).value_or(0);
        return;
      case rtmp::kMsgUserControl: {
        auto control = rtmp::parseUserControl(message.payload);
        if (control && control->event == rtmp::UserControlEvent::kPingRequest) {
          sendControl(rtmp::kMsgUserControl,
                      rtmp::makeUserControl(rtmp::UserControlEvent::kPingResponse, control->value));
        }
        return;
      }
      case rtmp::kMsgAggregate: {
        auto parts = rtmp::splitAggregate(message);
        if (!parts) return fail("aggregate: " + parts.error().code);
        for (auto& part : *parts) onMessage(std::move(part));
        return;
      }
      default:
        return;  // Set Chunk Size (applied by the reader), Set Peer Bandwidth, data messages
    }
  }

  void onCommand(const rtmp::RtmpMessage& message) {
    core::Slice payload =
        message.typeId == rtmp::kMsgAmf3Command ? message.payload.sub(1) : message.payload;
    auto values = rtmp::decodeAmf0(payload.span());
    if (!values) return fail("amf0: " + values.error().code);
    if (values->size() < 2) return;
    auto name = (*values)[0].asString().value_or("");
    double tx = (*values)[1].asNumber().value_or(0);
    if (name == "_result") {
      if (tx == kTxConnect) return sendCreateStream();
      if (tx == kTxCreateStream) {
        double id = values->size() > 3 ? (*values)[3].asNumber().value_or(1) : 1;
        streamId_ = static_cast<uint32_t>(id);
        return sendPlay();
      }
      return;
    }
    if (name == "_error") {
      std::string code = "_error";
      if (values->size() > 3) {
        if (const AmfValue* c = (*values)[3].get("code")) code = c->asString().value_or(code);
      }
      return fail(code);
    }
    if (name == "onStatus" && values->size() > 3) {
      const AmfValue* c = (*values)[3].get("code");
      std::string code(c ? c->asString().value_or("") : "");
      if (code == "NetStream.Play.StreamNotFound" || code == "NetStream.Play.Failed" ||
          code == "NetStream.Play.BadName") {
        return fail(code);
      }
      if (code == "NetStream.Play.UnpublishNotify" || code == "NetStream.Play.Stop") {
        stats_.ended = true;
        return fail(code);
      }
    }
    // onBWDone, _checkbw, |RtmpSampleAccess, Play.Reset/Start: nothing to do.
  }

  void sendCommand(uint32_t csid, uint32_t streamId, const std::string& amf) {
    core::SliceList out;
    writer_.writeMessage(csid, rtmp::kMsgAmf0Command, streamId, 0, {core::Slice::copyOf(amf)}, out);
    stream_->write(out);
  }

  void sendControl(uint8_t typeId, core::Slice payload) {
    core::SliceList out;
    writer_.writeControl(typeId, std::move(payload), out);
    stream_->write(out);
  }

  void sendConnect() {
    std::string tcUrl =
        "rtmp://" + target_.host + ":" + std::to_string(target_.port) + "/" + target_.app;
    sendCommand(kCommandChunkStream, 0,
                rtmp::encodeAmf0({AmfValue::string("connect"), AmfValue::number(kTxConnect),
                                  AmfValue::object({{"app", AmfValue::string(target_.app)},
                                                    {"flashVer", AmfValue::string("LNX 9,0,124,2")},
                                                    {"tcUrl", AmfValue::string(tcUrl)},
                                                    {"fpad", AmfValue::boolean(false)},
                                                    {"capabilities", AmfValue::number(15)},
                                                    {"audioCodecs", AmfValue::number(4071)},
                                                    {"videoCodecs", AmfValue::number(252)},
                                                    {"videoFunction", AmfValue::number(1)}})}));
  }

  void sendCreateStream() {
    sendCommand(kCommandChunkStream, 0,
                rtmp::encodeAmf0({AmfValue::string("createStream"),
                                  AmfValue::number(kTxCreateStream), AmfValue::null()}));
  }

  void sendPlay() {
    sendCommand(
        kPlayChunkStream, streamId_,
        rtmp::encodeAmf0({AmfValue::string("play"), AmfValue::number(kTxPlay), AmfValue::null(),
                          AmfValue::string(target_.key), AmfValue::number(-2000)}));
    sendControl(rtmp::kMsgUserControl, rtmp::makeSetBufferLength(streamId_, kBufferLengthMs));
  }

  rtmp::ClientHandshake handshake_;
  rtmp::ChunkReader reader_;
  rtmp::ChunkWriter writer_;
  uint32_t windowAck_ = 0;
  uint64_t lastAckAt_ = 0;
  uint32_t streamId_ = 1;
};

}  // namespace

std::unique_ptr<Player> makeRtmpPlayer(core::Loop& loop, const Target& target,
                                       const PlayerOptions& options) {
  return std::make_unique<RtmpPlayer>(loop, target, options);
}

}  // namespace tidecast::bench
