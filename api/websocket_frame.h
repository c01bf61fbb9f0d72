// RFC 6455 framing shared by the reader and the writer: opcodes, close codes, and server
// frames (FIN set, never masked) built once as Slices. A WebSocketFrame is immutable, so one
// frame built for a chat message is written to every connection of the room without copying
// (each write takes references to the same Slices).
// Pure values; building a frame is safe on any thread, sending it is the connection's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/slice.h"

namespace tidecast::api {

enum class WsOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline bool isControlOpcode(WsOpcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

// Close status codes (RFC 6455 section 7.4.1) tidecast sends or reports.
namespace ws_close {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;      // shutdown, idle timeout
inline constexpr uint16_t kProtocolError = 1002;  // bad framing, unmasked client frame
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;     // reported only: a close frame without a code
inline constexpr uint16_t kAbnormal = 1006;     // reported only: TCP ended without a close frame
inline constexpr uint16_t kInvalidData = 1007;  // text that is not UTF-8
inline constexpr uint16_t kPolicy = 1008;       // send backlog over the limit
inline constexpr uint16_t kTooBig = 1009;       // frame or message over the size limits
inline constexpr uint16_t kInternalError = 1011;
}  // namespace ws_close

// Whether a peer may put `code` in a close frame (1005, 1006, 1015 and unassigned codes may
// not be sent; 3000-4999 are for libraries and applications).
bool isValidCloseCode(uint16_t code);

// Maximum payload of a control frame (ping, pong, close).
inline constexpr size_t kMaxControlPayload = 125;

// A complete server frame: header and payload, as Slices shared by every send.
class WebSocketFrame {
 public:
  WebSocketFrame() = default;

  static WebSocketFrame text(std::string payload) {
    return make(WsOpcode::kText, std::move(payload));
  }
  static WebSocketFrame binary(std::string payload) {
    return make(WsOpcode::kBinary, std::move(payload));
  }
  // Payload already in Slices (not copied).
  static WebSocketFrame fromSlices(WsOpcode opcode, core::SliceList payload);
  static WebSocketFrame make(WsOpcode opcode, std::string payload);
  // A close frame; the reason is cut to fit the 125-byte control payload (at a UTF-8
  // character boundary). kNoStatus gives an empty close frame.
  static WebSocketFrame close(uint16_t code, std::string_view reason);

  const core::SliceList& slices() const { return slices_; }
  size_t size() const { return size_; }
  bool empty() const { return slices_.empty(); }

 private:
  core::SliceList slices_;
  size_t size_ = 0;
};

// The header of an unmasked final frame carrying `payloadSize` bytes (2, 4 or 10 bytes),
// written to `out` (at least 10 bytes); returns its length.
size_t encodeFrameHeader(WsOpcode opcode, uint64_t payloadSize, uint8_t* out);

}  // namespace tidecast::api
