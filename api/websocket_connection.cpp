#include "api/websocket_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "api/websocket_server.h"

namespace tidecast::api {

namespace {

WebSocketLimits limitsFrom(const WebSocketConfig& config) {
  return {config.maxFrameBytes, config.maxMessageBytes};
}

// Our keepalive ping: empty, built once, shared by every connection of the process.
const WebSocketFrame& pingFrame() {
  static const WebSocketFrame kPing = WebSocketFrame::make(WsOpcode::kPing, {});
  return kPing;
}

}  // namespace

WebSocketConnection::WebSocketConnection(WebSocketServer& server, WebSocketHandler& handler,
                                         std::unique_ptr<core::TcpStream> stream,
                                         HttpRequest request, uint64_t id)
    : server_(server),
      handler_(handler),
      stream_(std::move(stream)),
      request_(std::move(request)),
      id_(id),
      reader_(limitsFrom(server.config())),
      timer_(stream_->loop()) {}

WebSocketConnection::~WebSocketConnection() = default;

void WebSocketConnection::start(std::string_view bufferedInput) {
  const uint64_t now = stream_->loop().nowMs();
  lastFrameMs_ = now;
  nextPingMs_ = now + server_.config().pingIntervalMs;
  stream_->setNoDelay(true);
  stream_->startRead([this](std::string_view bytes) { onData(bytes); },
                     [this](int status) { onEnd(status); });
  server_.context().log.debug("ws.open conn={} peer={} path={}", id_, peer().ip, request_.path);
  try {
    handler_.onOpen(*this);
  } catch (const std::exception& e) {
    server_.context().log.error("ws.handler_failed conn={} in=open what=\"{}\"", id_, e.what());
    close(ws_close::kInternalError, "internal error");
  }
  if (state_ == State::kOpen && !bufferedInput.empty()) onData(bufferedInput);
  scheduleTimer();
}

// ---- input ---------------------------------------------------------------------------------

void WebSocketConnection::onData(std::string_view bytes) {
  // After the close frames were exchanged only the TCP end is awaited: bytes are discarded.
  if (state_ == State::kClosed || state_ == State::kGone) return;
  reader_.setLimits(limitsFrom(server_.config()));
  reader_.feed(bytes, *this);
  if (reader_.failure() && (state_ == State::kOpen || state_ == State::kClosing)) {
    fail(reader_.failure()->closeCode, reader_.failure()->reason);
  }
}

bool WebSocketConnection::onEvent(WebSocketEvent& event) {
  lastFrameMs_ = stream_->loop().nowMs();
  switch (event.opcode) {
    case WsOpcode::kText:
    case WsOpcode::kBinary:
      // After our close frame, data from the peer is discarded (RFC 6455 section 1.4).
      if (state_ == State::kOpen) deliver(event);
      break;
    case WsOpcode::kPing:
      if (state_ == State::kOpen) {
        writeFrame(WebSocketFrame::make(WsOpcode::kPong, std::move(event.payload)));
      }
      break;
    case WsOpcode::kClose:
      onPeerClose(event);
      return false;
    default:  // pong: its arrival is all that matters (the idle clock above)
      break;
  }
  return state_ == State::kOpen || state_ == State::kClosing;
}

void WebSocketConnection::deliver(WebSocketEvent& event) {
  server_.countMessageIn(event.payload.size());
  WebSocketMessage message{event.opcode == WsOpcode::kBinary, std::move(event.payload)};
  try {
    handler_.onMessage(*this, message);
  } catch (const std::exception& e) {
    server_.context().log.error("ws.handler_failed conn={} in=message what=\"{}\"", id_, e.what());
    close(ws_close::kInternalError, "internal error");
  }
}

void WebSocketConnection::onPeerClose(const WebSocketEvent& event) {
  if (state_ == State::kOpen) {
    // Echo the peer's code (an empty close frame when it sent none).
    stream_->write(WebSocketFrame::close(event.closeCode, {}).slices());
    leaveOpen(event.closeCode, event.payload);
  }
  state_ = State::kClosed;
  finishAfterClose();
}

void WebSocketConnection::onEnd(int status) {
  if (state_ == State::kGone) return;
  const std::string_view reason =
      status == UV_EOF ? std::string_view("peer closed") : std::string_view(uv_err_name(status));
  if (state_ == State::kOpen) leaveOpen(ws_close::kAbnormal, reason);
  state_ = State::kClosed;
  if (status == UV_EOF && stream_->pendingBytes() > 0) {
    // Our close frame (or its echo) is still on its way out: let it go first.
    stream_->setOnDrain([this] { closeNow("closed"); });
    return;
  }
  closeNow(reason);
}

// ---- closing -------------------------------------------------------------------------------

void WebSocketConnection::fail(uint16_t code, std::string_view reason) {
  server_.context().log.debug("ws.fail conn={} peer={} code={} reason=\"{}\"", id_, peer().ip, code,
                              reason);
  if (state_ == State::kOpen) {
    stream_->write(WebSocketFrame::close(code, reason).slices());
    leaveOpen(code, reason);
  }
  state_ = State::kClosed;
  finishAfterClose();
}

void WebSocketConnection::close(uint16_t code, std::string_view reason) {
  if (state_ != State::kOpen) return;
  stream_->write(WebSocketFrame::close(code, reason).slices());
  closeStartedMs_ = stream_->loop().nowMs();
  leaveOpen(code, reason);
  if (state_ == State::kOpen) state_ = State::kClosing;
  scheduleTimer();
}

void WebSocketConnection::leaveOpen(uint16_t code, std::string_view reason) {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;  // no more sends, whatever the handler does below
  server_.countClose(code);
  server_.context().log.debug("ws.close conn={} peer={} code={} reason=\"{}\"", id_, peer().ip,
                              code, reason);
  try {
    handler_.onClose(*this, code, reason);
  } catch (const std::exception& e) {
    server_.context().log.error("ws.handler_failed conn={} in=close what=\"{}\"", id_, e.what());
  }
}

void WebSocketConnection::finishAfterClose() {
  if (state_ == State::kGone) return;
  // The server closes TCP first (RFC 6455 section 7.1.1): FIN after the close frame, then
  // wait for the peer's end, at most close_timeout_ms.
  stream_->shutdownAfterWrites();
  closeStartedMs_ = stream_->loop().nowMs();
  scheduleTimer();
}

void WebSocketConnection::closeNow(std::string_view reason) {
  if (state_ == State::kGone) return;
  if (state_ == State::kOpen) leaveOpen(ws_close::kAbnormal, reason);
  state_ = State::kGone;
  server_.context().log.debug("ws.drop conn={} peer={} reason=\"{}\"", id_, peer().ip, reason);
  timer_.close();
  stream_->close();
  server_.release(*this);  // destroyed later, outside this call stack
}

// ---- output --------------------------------------------------------------------------------

bool WebSocketConnection::send(const WebSocketFrame& frame) {
  if (!writeFrame(frame)) return false;
  server_.countMessageOut(frame.size());
  return true;
}

bool WebSocketConnection::writeFrame(const WebSocketFrame& frame) {
  if (state_ != State::kOpen) return false;
  if (stream_->pendingBytes() + frame.size() > server_.config().maxSendBacklogBytes) {
    // The client does not read fast enough. Its backlog is dropped with the socket; the close
    // frame goes only if the kernel takes it now.
    server_.context().log.warn("ws.slow_client conn={} peer={} backlog_bytes={}", id_, peer().ip,
                               stream_->pendingBytes());
    stream_->write(
        WebSocketFrame::close(ws_close::kPolicy, "send backlog over the limit").slices());
    stream_->flushNow();
    leaveOpen(ws_close::kPolicy, "send backlog over the limit");
    closeNow("send backlog over the limit");
    return false;
  }
  stream_->write(frame.slices());
  return true;
}

// ---- timers: keepalive pings, idle timeout, close timeout -----------------------------------

void WebSocketConnection::scheduleTimer() {
  if (state_ == State::kGone) return;
  const WebSocketConfig& config = server_.config();
  const uint64_t now = stream_->loop().nowMs();
  const uint64_t due = state_ == State::kOpen
                           ? std::min(nextPingMs_, lastFrameMs_ + config.idleTimeoutMs)
                           : closeStartedMs_ + config.closeTimeoutMs;
  timer_.start(due > now ? due - now : 0, 0, [this] { onTimer(); });
}

void WebSocketConnection::onTimer() {
  const WebSocketConfig& config = server_.config();
  const uint64_t now = stream_->loop().nowMs();
  if (state_ != State::kOpen) {
    if (now >= closeStartedMs_ + config.closeTimeoutMs) {
      closeNow("close timeout");
      return;
    }
  } else if (now >= lastFrameMs_ + config.idleTimeoutMs) {
    close(ws_close::kGoingAway, "idle timeout");
    return;
  } else if (now >= nextPingMs_) {
    nextPingMs_ = now + config.pingIntervalMs;
    if (!writeFrame(pingFrame())) return;
  }
  scheduleTimer();
}

}  // namespace tidecast::api
