// Incremental RFC 6455 reader for the client side of a connection: frame headers, unmasking,
// fragmented messages with control frames between their fragments, text UTF-8 validated as it
// arrives (across fragments and reads), and the size limits. It turns bytes into complete
// messages and control frames; any violation ends in a failure naming the close code to send
// (1002 protocol, 1007 bad UTF-8, 1009 too big), after which every later byte is refused.
//
// No I/O and no clock: the connection feeds it what it reads; tests and the fuzz target feed
// it anything. Not thread-safe; one per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/websocket_frame.h"
#include "core/utf8_validator.h"

namespace tidecast::api {

struct WebSocketLimits {
  size_t maxFrameBytes = 1024 * 1024;    // payload of one frame
  size_t maxMessageBytes = 1024 * 1024;  // payload of a whole (reassembled) message
};

// A complete message (kText, kBinary) or control frame (kPing, kPong, kClose).
struct WebSocketEvent {
  WsOpcode opcode = WsOpcode::kText;
  std::string payload;     // the message, the ping/pong data, or the close reason
  uint16_t closeCode = 0;  // kClose only; ws_close::kNoStatus when the frame carried none
};

struct WebSocketFailure {
  uint16_t closeCode = ws_close::kProtocolError;
  std::string reason;
};

class WebSocketReader {
 public:
  class Sink {
   public:
    // Called for each complete message or control frame; the payload may be moved from.
    // Returning false stops the current feed() right after this frame.
    virtual bool onEvent(WebSocketEvent& event) = 0;

   protected:
    virtual ~Sink() = default;
  };

  explicit WebSocketReader(WebSocketLimits limits = {}) : limits_(limits) {}

  // Limits apply from the next frame header on (a SIGHUP reload).
  void setLimits(const WebSocketLimits& limits) { limits_ = limits; }

  // Parses `bytes`, reporting events to `sink`. Returns how many bytes were used: all of
  // them, unless the sink stopped early or the input failed (failure() then says why).
  size_t feed(std::string_view bytes, Sink& sink);

  const std::optional<WebSocketFailure>& failure() const { return failure_; }
  // Frames completed so far (data and control): the connection's idle clock.
  uint64_t framesCompleted() const { return frames_; }
  // True while a fragmented message is being reassembled.
  bool inMessage() const { return messageOpcode_ != WsOpcode::kContinuation; }

 private:
  enum class State { kHeader, kPayload, kFailed };

  size_t readHeader(std::string_view bytes);
  bool checkFirstBytes();
  bool checkHeader();
  size_t readPayload(std::string_view bytes);
  bool finishFrame(Sink& sink);
  bool finishControl(Sink& sink);
  bool fail(uint16_t code, std::string reason);

  WebSocketLimits limits_;
  State state_ = State::kHeader;
  uint8_t header_[14] = {};
  size_t headerHave_ = 0;
  size_t headerNeed_ = 2;
  // The frame being read.
  WsOpcode opcode_ = WsOpcode::kText;
  bool fin_ = false;
  uint8_t mask_[4] = {};
  uint64_t remaining_ = 0;
  size_t maskOffset_ = 0;
  std::string control_;
  // The message being reassembled (kContinuation: none).
  WsOpcode messageOpcode_ = WsOpcode::kContinuation;
  std::string message_;
  core::Utf8Validator utf8_;
  uint64_t frames_ = 0;
  std::optional<WebSocketFailure> failure_;
};

}  // namespace tidecast::api
