#include "api/http_response.h"

#include <fmt/format.h>

#include "api/http_connection.h"
#include "api/http_server.h"

namespace tidecast::api {

namespace {
bool bodyForbidden(int status) { return status == 204 || status == 304 || status < 200; }

const core::Slice& chunkTrailer() {
  static const core::Slice kCrlf = core::Slice::fromStatic("\r\n");
  return kCrlf;
}
}  // namespace

HttpResponse::HttpResponse(HttpConnection* connection, const HttpRequest& request)
    : connection_(connection),
      headOnly_(request.method == "HEAD"),
      http10_(request.versionMinor == 0),
      closeConnection_(!request.keepAlive || request.upgrade) {}

void HttpResponse::send(int status, HttpHeaders headers, core::SliceList body) {
  if (state_ != State::kPending) return;
  status_ = status;
  size_t length = bodyForbidden(status) ? 0 : core::totalSize(body);
  std::string framing;
  if (!bodyForbidden(status)) {
    framing = "Content-Length: ";
    framing += fmt::format_int(length).str();
    framing += "\r\n";
  }
  core::SliceList out;
  out.reserve(body.size() + 1);
  out.push_back(renderHead(status, headers, framing));
  if (!headOnly_ && length > 0) {
    for (auto& slice : body) out.push_back(std::move(slice));
  }
  emit(std::move(out));
  finish();
}

void HttpResponse::send(int status, std::string_view contentType, std::string body) {
  HttpHeaders headers{{"Content-Type", std::string(contentType)}};
  send(status, std::move(headers), core::SliceList{core::Slice::fromString(std::move(body))});
}

void HttpResponse::beginStream(int status, HttpHeaders headers) {
  if (state_ != State::kPending) return;
  status_ = status;
  state_ = State::kStreaming;
  // HTTP/1.0 has no chunked coding: the body ends when the connection does.
  if (http10_) closeConnection_ = true;
  chunked_ = !http10_ && !headOnly_;
  std::string framing = chunked_ ? "Transfer-Encoding: chunked\r\n" : "";
  emit({renderHead(status, headers, framing)});
  if (headOnly_) finish();
}

core::Slice chunkSizeLine(size_t length) {
  return core::Slice::copyOf(fmt::format("{:x}\r\n", length));
}

bool HttpResponse::writeChunk(const core::SliceList& data) {
  if (!chunked_) return writeChunk(data, core::Slice());
  return writeChunk(data, chunkSizeLine(core::totalSize(data)));
}

bool HttpResponse::writeChunk(const core::SliceList& data, const core::Slice& sizeLine) {
  if (state_ != State::kStreaming || connection_ == nullptr) return false;
  size_t length = core::totalSize(data);
  if (length == 0) return true;  // a zero-length chunk would end the body
  core::SliceList out;
  out.reserve(data.size() + 2);
  if (chunked_) out.push_back(sizeLine);
  out.insert(out.end(), data.begin(), data.end());
  if (chunked_) out.push_back(chunkTrailer());
  emit(std::move(out));
  return connection_ != nullptr;
}

void HttpResponse::endStream() {
  if (state_ != State::kStreaming) return;
  if (chunked_) emit({core::Slice::fromStatic("0\r\n\r\n")});
  finish();
}

void HttpResponse::abort(std::string_view reason) {
  if (connection_ != nullptr) connection_->closeNow(reason);
}

void HttpResponse::upgrade(HttpHeaders headers, UpgradeFn onUpgraded) {
  if (state_ != State::kPending || connection_ == nullptr) return;
  status_ = 101;
  closeConnection_ = false;  // the connection goes on, in the other protocol
  upgrade_ = std::move(onUpgraded);
  emit({renderHead(101, headers, "")});
  finish();
}

void HttpResponse::setWriteMerge(uint32_t withinMs) {
  if (connection_ != nullptr && connection_->isCurrent(this)) connection_->setWriteMerge(withinMs);
}

size_t HttpResponse::backlogBytes() const {
  return connection_ ? connection_->backlogBytes() + core::totalSize(buffered_) : 0;
}

void HttpResponse::detach() {
  connection_ = nullptr;
  buffered_.clear();
  if (state_ != State::kDone) state_ = State::kDone;
  if (auto fn = std::exchange(onClientGone_, nullptr)) fn();
}

core::Slice HttpResponse::renderHead(int status, const HttpHeaders& headers,
                                     std::string_view framing) {
  if (connection_ == nullptr) return {};
  HttpServer& server = connection_->server();
  if (server.shuttingDown()) closeConnection_ = true;
  std::string head;
  head.reserve(256);
  head += "HTTP/1.1 ";
  head += fmt::format_int(status).str();
  head += ' ';
  head += statusReason(status);
  head += "\r\n";
  head += server.commonHeaders();  // Server, Date, CORS: rendered once per second
  for (const auto& [name, value] : headers) {
    if (name.empty()) continue;
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  }
  head += framing;
  if (closeConnection_) {
    head += "Connection: close\r\n";
  } else if (http10_) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  server.countResponse(status, head.size());
  return core::Slice::fromString(std::move(head));
}

void HttpResponse::emit(core::SliceList bytes) {
  if (connection_ == nullptr) return;
  if (connection_->isCurrent(this)) {
    connection_->writeOut(std::move(bytes));
  } else {
    for (auto& slice : bytes) buffered_.push_back(std::move(slice));
  }
}

void HttpResponse::finish() {
  state_ = State::kDone;
  if (connection_ != nullptr) connection_->responseFinished(this);
}

std::string_view statusReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace tidecast::api
