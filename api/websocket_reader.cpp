#include "api/websocket_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tidecast::api {

namespace {

bool knownOpcode(uint8_t op) { return op <= 0x2 || (op >= 0x8 && op <= 0xA); }

// XORs `n` bytes with the masking key, starting at key position `offset`, eight bytes at a
// time. Returns the key position after them.
size_t unmask(char* data, size_t n, const uint8_t (&mask)[4], size_t offset) {
  uint8_t key[8];
  for (size_t k = 0; k < 8; ++k) key[k] = mask[(offset + k) & 3];
  uint64_t key64;
  std::memcpy(&key64, key, sizeof key64);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, sizeof word);
    word ^= key64;
    std::memcpy(data + i, &word, sizeof word);
  }
  for (; i < n; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 7]);
  return (offset + n) & 3;
}

}  // namespace

size_t WebSocketReader::feed(std::string_view bytes, Sink& sink) {
  size_t used = 0;
  while (state_ != State::kFailed) {
    if (state_ == State::kHeader) {
      if (used == bytes.size()) break;
      used += readHeader(bytes.substr(used));
    } else {
      used += readPayload(bytes.substr(used));
    }
    if (state_ == State::kPayload && remaining_ == 0) {
      // A frame is complete (an empty one right after its header).
      state_ = State::kHeader;
      headerHave_ = 0;
      headerNeed_ = 2;
      if (!finishFrame(sink)) break;
    } else if (used == bytes.size()) {
      break;
    }
  }
  return used;
}

size_t WebSocketReader::readHeader(std::string_view bytes) {
  size_t used = 0;
  while (headerHave_ < headerNeed_ && used < bytes.size()) {
    header_[headerHave_++] = static_cast<uint8_t>(bytes[used++]);
    // The first two bytes say how long the header is; check them before reading on.
    if (headerHave_ == 2 && !checkFirstBytes()) return used;
  }
  if (headerHave_ == headerNeed_ && checkHeader()) state_ = State::kPayload;
  return used;
}

bool WebSocketReader::checkFirstBytes() {
  const uint8_t b0 = header_[0];
  const uint8_t b1 = header_[1];
  if ((b0 & 0x70) != 0) return fail(ws_close::kProtocolError, "reserved bits set");
  const uint8_t op = b0 & 0x0F;
  if (!knownOpcode(op)) return fail(ws_close::kProtocolError, fmt::format("unknown opcode {}", op));
  opcode_ = static_cast<WsOpcode>(op);
  fin_ = (b0 & 0x80) != 0;
  if ((b1 & 0x80) == 0) return fail(ws_close::kProtocolError, "client frame not masked");
  const uint8_t length7 = b1 & 0x7F;
  if (isControlOpcode(opcode_)) {
    if (!fin_) return fail(ws_close::kProtocolError, "fragmented control frame");
    if (length7 > kMaxControlPayload) {
      return fail(ws_close::kProtocolError, "control frame payload over 125 bytes");
    }
  } else if (opcode_ == WsOpcode::kContinuation && !inMessage()) {
    return fail(ws_close::kProtocolError, "continuation frame without a message to continue");
  } else if (opcode_ != WsOpcode::kContinuation && inMessage()) {
    return fail(ws_close::kProtocolError, "new message before the fragmented one ended");
  }
  headerNeed_ = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + 4;
  return true;
}

bool WebSocketReader::checkHeader() {
  const uint8_t length7 = header_[1] & 0x7F;
  uint64_t length = length7;
  size_t pos = 2;
  if (length7 == 126) {
    length = (uint64_t{header_[2]} << 8) | header_[3];
    pos = 4;
  } else if (length7 == 127) {
    length = 0;
    for (size_t i = 0; i < 8; ++i) length = (length << 8) | header_[2 + i];
    pos = 10;
    if ((length >> 63) != 0) {
      return fail(ws_close::kProtocolError, "frame length with the most significant bit set");
    }
  }
  std::memcpy(mask_, header_ + pos, sizeof mask_);
  if (!isControlOpcode(opcode_)) {
    if (length > limits_.maxFrameBytes) {
      return fail(ws_close::kTooBig, fmt::format("frame of {} bytes over the limit of {}", length,
                                                 limits_.maxFrameBytes));
    }
    if (opcode_ != WsOpcode::kContinuation) {
      messageOpcode_ = opcode_;
      message_.clear();
      utf8_.reset();
    }
    if (message_.size() + length > limits_.maxMessageBytes) {
      return fail(ws_close::kTooBig,
                  fmt::format("message over the limit of {} bytes", limits_.maxMessageBytes));
    }
  }
  control_.clear();
  remaining_ = length;
  maskOffset_ = 0;
  return true;
}

size_t WebSocketReader::readPayload(std::string_view bytes) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
  const bool control = isControlOpcode(opcode_);
  std::string& out = control ? control_ : message_;
  const size_t start = out.size();
  out.append(bytes.data(), n);
  maskOffset_ = unmask(out.data() + start, n, mask_, maskOffset_);
  remaining_ -= n;
  if (!control && messageOpcode_ == WsOpcode::kText &&
      !utf8_.feed(std::string_view(out.data() + start, n))) {
    fail(ws_close::kInvalidData, "text message is not valid UTF-8");
  }
  return n;
}

bool WebSocketReader::finishFrame(Sink& sink) {
  ++frames_;
  if (isControlOpcode(opcode_)) return finishControl(sink);
  if (!fin_) return true;
  if (messageOpcode_ == WsOpcode::kText && !utf8_.complete()) {
    return fail(ws_close::kInvalidData, "text message ends inside a UTF-8 sequence");
  }
  WebSocketEvent event;
  event.opcode = messageOpcode_;
  event.payload = std::move(message_);
  message_.clear();
  messageOpcode_ = WsOpcode::kContinuation;
  return sink.onEvent(event);
}

bool WebSocketReader::finishControl(Sink& sink) {
  WebSocketEvent event;
  event.opcode = opcode_;
  if (opcode_ != WsOpcode::kClose) {
    event.payload = std::move(control_);
    control_.clear();
    return sink.onEvent(event);
  }
  if (control_.size() == 1) return fail(ws_close::kProtocolError, "close frame of one byte");
  event.closeCode = ws_close::kNoStatus;
  if (!control_.empty()) {
    event.closeCode = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) |
                                            static_cast<uint8_t>(control_[1]));
    if (!isValidCloseCode(event.closeCode)) {
      return fail(ws_close::kProtocolError, fmt::format("invalid close code {}", event.closeCode));
    }
    event.payload = control_.substr(2);
    core::Utf8Validator reason;
    if (!reason.feed(event.payload) || !reason.complete()) {
      return fail(ws_close::kInvalidData, "close reason is not valid UTF-8");
    }
  }
  return sink.onEvent(event);
}

bool WebSocketReader::fail(uint16_t code, std::string reason) {
  state_ = State::kFailed;
  failure_ = WebSocketFailure{code, std::move(reason)};
  std::string().swap(message_);
  return false;
}

}  // namespace tidecast::api
