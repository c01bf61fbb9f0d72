// One WebSocket connection after the 101: reads frames (WebSocketReader), hands complete
// messages to its WebSocketHandler, answers pings, pings the client every ping_interval_ms,
// drops it after idle_timeout_ms without a frame, and runs the close handshake (our close
// waits close_timeout_ms for the peer's; a peer's close is echoed, then TCP is shut down).
// Sends are bounded: past max_send_backlog_bytes of unsent bytes the connection is closed
// with 1008 and dropped, so a client that never reads costs at most that much memory.
//
// Owned by WebSocketServer; loop thread only. Handlers may keep a reference from onOpen until
// their onClose, which runs once, when the connection stops being open; sends after that are
// refused (return false) and the object is destroyed a little later (graveyard).
#pragma once

#include <any>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/http_request.h"
#include "api/websocket_frame.h"
#include "api/websocket_reader.h"
#include "core/loop.h"
#include "core/tcp.h"

namespace tidecast::api {

class WebSocketServer;
class WebSocketConnection;

// A complete message from the client.
struct WebSocketMessage {
  bool binary = false;
  std::string data;
};

// What an endpoint does with its connections. Callbacks run on the loop thread; they must not
// throw (the server catches and closes the connection with 1011 if they do).
class WebSocketHandler {
 public:
  virtual ~WebSocketHandler() = default;
  virtual void onOpen(WebSocketConnection& /*connection*/) {}
  virtual void onMessage(WebSocketConnection& connection, WebSocketMessage& message) = 0;
  // `code` is the close code sent or received (1006 when the TCP connection just ended).
  virtual void onClose(WebSocketConnection& /*connection*/, uint16_t /*code*/,
                       std::string_view /*reason*/) {}
};

class WebSocketConnection final : private WebSocketReader::Sink {
 public:
  WebSocketConnection(WebSocketServer& server, WebSocketHandler& handler,
                      std::unique_ptr<core::TcpStream> stream, HttpRequest request, uint64_t id);
  ~WebSocketConnection();
  WebSocketConnection(const WebSocketConnection&) = delete;
  WebSocketConnection& operator=(const WebSocketConnection&) = delete;

  // Starts reading; `bufferedInput` is what the HTTP connection read after the request head.
  void start(std::string_view bufferedInput);

  uint64_t id() const { return id_; }
  const core::PeerAddress& peer() const { return request_.peer; }
  // The upgrade request: path, query, headers and router captures (for auth and rooms).
  const HttpRequest& request() const { return request_; }
  bool isOpen() const { return state_ == State::kOpen; }
  // Per-connection state a handler attaches (a chat session, a user id).
  std::any& attachment() { return attachment_; }

  // Each send returns false when the connection is no longer open, or when the frame would
  // take the unsent bytes past max_send_backlog_bytes (the connection is then closed, 1008).
  bool sendText(std::string text) { return send(WebSocketFrame::text(std::move(text))); }
  bool sendBinary(std::string bytes) { return send(WebSocketFrame::binary(std::move(bytes))); }
  // A frame built once and shared (fan-out): only references are taken.
  bool send(const WebSocketFrame& frame);
  // Starts the close handshake with `code` (1000, 1001, 1008, 1011, 3000-4999) and a reason.
  void close(uint16_t code, std::string_view reason);
  // Drops the connection at once (no close handshake).
  void closeNow(std::string_view reason);

  // Bytes accepted by send() and not yet taken by the kernel.
  size_t backlogBytes() const { return stream_ ? stream_->pendingBytes() : 0; }

 private:
  enum class State {
    kOpen,     // messages flow both ways
    kClosing,  // our close frame is sent; waiting for the peer's
    kClosed,   // close frames exchanged (or the peer failed): waiting for TCP to end
    kGone,     // socket closed, handed to the graveyard
  };

  void onData(std::string_view bytes);
  void onEnd(int status);
  bool onEvent(WebSocketEvent& event) override;
  void deliver(WebSocketEvent& event);
  void onPeerClose(const WebSocketEvent& event);
  void fail(uint16_t code, std::string_view reason);
  bool writeFrame(const WebSocketFrame& frame);
  void leaveOpen(uint16_t code, std::string_view reason);
  void finishAfterClose();
  void scheduleTimer();
  void onTimer();

  WebSocketServer& server_;
  WebSocketHandler& handler_;
  std::unique_ptr<core::TcpStream> stream_;
  HttpRequest request_;
  uint64_t id_;
  WebSocketReader reader_;
  core::Timer timer_;
  State state_ = State::kOpen;
  uint64_t lastFrameMs_ = 0;  // when the client's last complete frame arrived
  uint64_t nextPingMs_ = 0;
  uint64_t closeStartedMs_ = 0;
  std::any attachment_;
};

}  // namespace tidecast::api
