// The answer to one HTTP request. A handler gets a shared_ptr to it and may answer at once,
// later (a held LL-HLS blocking reload), or as a stream of chunks (HTTP-FLV, LL-DASH). The
// connection writes answers in request order; output produced by a later request while an
// earlier one is still open is kept (as Slices, not copied) until its turn.
//
// Loop thread only. If the client goes away first, the response is detached: later calls are
// ignored and the onClientGone callback (if any) runs once, so held work can be dropped.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/http_request.h"
#include "core/slice.h"

namespace tidecast::api {

class HttpConnection;

class HttpResponse {
 public:
  HttpResponse(HttpConnection* connection, const HttpRequest& request);
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;

  // A complete response with Content-Length. Header names as given; the server adds Date,
  // Server, Content-Length, Connection and the CORS header where configured.
  void send(int status, HttpHeaders headers, core::SliceList body = {});
  void send(int status, std::string_view contentType, std::string body);

  // A streamed response: chunked transfer encoding for HTTP/1.1 clients (close-delimited for
  // HTTP/1.0). writeChunk returns false once the client is gone or fell too far behind (the
  // connection is then dropped); the caller stops producing for it.
  void beginStream(int status, HttpHeaders headers);
  bool writeChunk(const core::SliceList& data);
  // The same, with the chunk-size line made by the caller (chunkSizeLine(totalSize(data))):
  // a fan-out shares one line among all its viewers instead of formatting it per viewer.
  bool writeChunk(const core::SliceList& data, const core::Slice& sizeLine);
  void endStream();
  // Closes the connection without completing the response (a viewer dropped for being too
  // slow): the client sees the transfer cut, not a clean end.
  void abort(std::string_view reason);

  // Switches protocols (WebSocket): answers 101 with `headers` (Upgrade, Connection, …), then,
  // once every earlier response is written, hands the socket and the bytes read after this
  // request's head to `onUpgraded`; the HTTP connection ends there. Only for a request that
  // asked to upgrade (HttpRequest::upgrade).
  using UpgradeFn =
      std::function<void(std::unique_ptr<core::TcpStream> stream, std::string bufferedInput)>;
  void upgrade(HttpHeaders headers, UpgradeFn onUpgraded);

  bool started() const { return state_ != State::kPending; }
  bool finished() const { return state_ == State::kDone; }
  bool clientGone() const { return connection_ == nullptr; }
  void setOnClientGone(std::function<void()> fn) { onClientGone_ = std::move(fn); }
  // Bytes written to this client and not yet taken by its kernel socket buffer.
  size_t backlogBytes() const;
  // A long streamed response (a media viewer): hold its writes for the loop's merge tick
  // (core::TcpStream::setWriteMerge). The connection goes back to per-turn flushing when
  // this response finishes.
  void setWriteMerge(uint32_t withinMs);

  // Used by HttpConnection.
  void detach();
  core::SliceList takeBuffered() { return std::exchange(buffered_, {}); }
  bool closesConnection() const { return closeConnection_; }
  int status() const { return status_; }
  UpgradeFn takeUpgrade() { return std::exchange(upgrade_, nullptr); }

 private:
  enum class State { kPending, kStreaming, kDone };
  core::Slice renderHead(int status, const HttpHeaders& headers, std::string_view framing);
  void emit(core::SliceList bytes);
  void finish();

  HttpConnection* connection_;
  std::function<void()> onClientGone_;
  UpgradeFn upgrade_;
  core::SliceList buffered_;
  State state_ = State::kPending;
  int status_ = 0;
  bool headOnly_;
  bool http10_;
  bool closeConnection_;
  bool chunked_ = false;
};

// "1a2b\r\n": the line that starts a chunk of `length` bytes in chunked transfer coding.
core::Slice chunkSizeLine(size_t length);

// Reason phrase for a status code ("Not Found"); "Unknown" for codes it does not know.
std::string_view statusReason(int status);

}  // namespace tidecast::api
