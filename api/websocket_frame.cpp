#include "api/websocket_frame.h"

#include "core/utf8.h"

namespace tidecast::api {

namespace {
// Payloads up to this size are copied next to their header (one allocation, one iovec);
// larger ones keep their own buffer and get a separate header Slice.
constexpr size_t kInlinePayload = 4096;
constexpr size_t kMaxHeader = 10;
}  // namespace

bool isValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
      return true;
    default:
      return false;
  }
}

size_t encodeFrameHeader(WsOpcode opcode, uint64_t payloadSize, uint8_t* out) {
  out[0] = static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode));
  if (payloadSize < 126) {
    out[1] = static_cast<uint8_t>(payloadSize);
    return 2;
  }
  if (payloadSize <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<uint8_t>(payloadSize >> 8);
    out[3] = static_cast<uint8_t>(payloadSize);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payloadSize >> (56 - 8 * i));
  return 10;
}

WebSocketFrame WebSocketFrame::make(WsOpcode opcode, std::string payload) {
  WebSocketFrame frame;
  if (payload.size() > kInlinePayload) {
    return fromSlices(opcode, {core::Slice::fromString(std::move(payload))});
  }
  core::SliceBuilder builder(kMaxHeader + payload.size());
  builder.commit(encodeFrameHeader(opcode, payload.size(), builder.data()));
  builder.append(payload.data(), payload.size());
  frame.size_ = builder.size();
  frame.slices_.push_back(builder.finish());
  return frame;
}

WebSocketFrame WebSocketFrame::fromSlices(WsOpcode opcode, core::SliceList payload) {
  WebSocketFrame frame;
  uint8_t header[kMaxHeader];
  size_t payloadSize = core::totalSize(payload);
  size_t headerSize = encodeFrameHeader(opcode, payloadSize, header);
  frame.slices_.reserve(payload.size() + 1);
  frame.slices_.push_back(core::Slice::copyOf(header, headerSize));
  for (auto& slice : payload) {
    if (!slice.empty()) frame.slices_.push_back(std::move(slice));
  }
  frame.size_ = headerSize + payloadSize;
  return frame;
}

WebSocketFrame WebSocketFrame::close(uint16_t code, std::string_view reason) {
  std::string payload;
  if (code != ws_close::kNoStatus) {
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    // Whole UTF-8 characters only, up to the control frame limit.
    size_t room = kMaxControlPayload - 2;
    size_t i = 0;
    while (i < reason.size()) {
      size_t length = core::utf8SequenceLength(reason, i);
      if (length == 0 || i + length > room) break;
      i += length;
    }
    payload.append(reason.substr(0, i));
  }
  return make(WsOpcode::kClose, std::move(payload));
}

}  // namespace tidecast::api
