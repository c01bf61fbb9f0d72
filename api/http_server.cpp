#include "api/http_server.h"

#include <ctime>
#include <exception>

#include "api/json_error.h"

namespace tidecast::api {

namespace {
constexpr int kListenBacklog = 1024;
constexpr uint64_t kRefusedLingerMs = 1000;
}  // namespace

HttpServer::HttpServer(core::LoopContext& context, HttpHandler handler)
    : context_(context),
      handler_(std::move(handler)),
      graveyard_(context.loop),
      shutdownTimer_(context.loop),
      refusedTimer_(context.loop),
      accepted_(context.metrics.counter("tidecast_api_http_connections_accepted_total",
                                        "HTTP connections accepted")),
      rejectedTotal_(context.metrics.counter("tidecast_api_http_connections_rejected_total",
                                             "HTTP connections refused by a connection limit",
                                             {{"limit", "total"}})),
      rejectedPerIp_(context.metrics.counter("tidecast_api_http_connections_rejected_total",
                                             "HTTP connections refused by a connection limit",
                                             {{"limit", "per_ip"}})),
      bytesHead_(context.metrics.counter("tidecast_api_http_response_head_bytes_total",
                                         "Bytes of HTTP response status lines and headers")) {
  static const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  for (int i = 0; i < 5; ++i) {
    responsesByClass_[i + 1] =
        &context.metrics.counter("tidecast_api_http_responses_total",
                                 "HTTP responses by status class", {{"class", kClasses[i]}});
  }
  context.metrics.gaugeCallback("tidecast_api_http_connections", "Open HTTP connections",
                                [this] { return static_cast<double>(connections_.size()); });
}

HttpServer::~HttpServer() {
  closeAll("server destroyed");
  graveyard_.clear();
}

void HttpServer::closeAll(std::string_view reason) {
  // closeNow() moves each connection out of connections_: iterate over a snapshot.
  std::vector<HttpConnection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection.get());
  for (auto* connection : open) connection->closeNow(reason);
}

core::Status HttpServer::listen(const std::string& host, uint16_t port) {
  listener_ = std::make_unique<core::TcpListener>(context_.loop);
  return listener_->listen(host, port, kListenBacklog,
                           [this](std::unique_ptr<core::TcpStream> s) { accept(std::move(s)); });
}

core::Status HttpServer::listenTls(const std::string& host, uint16_t port,
                                   std::shared_ptr<core::TlsAcceptor> tls) {
  tlsListener_ = std::make_unique<core::TcpListener>(context_.loop);
  tlsListener_->setTls(std::move(tls));
  return tlsListener_->listen(host, port, kListenBacklog,
                              [this](std::unique_ptr<core::TcpStream> s) { accept(std::move(s)); });
}

void HttpServer::accept(std::unique_ptr<core::TcpStream> stream) {
  std::string reason;
  if (shuttingDown_) return;  // destroying the stream closes it
  if (!admit(stream->peer(), reason)) {
    // One short answer, then the socket closes when its write is done.
    std::string body = jsonErrorBody("http.too_many_connections", reason);
    stream->write(core::Slice::fromString(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: "
        "application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body));
    stream->shutdownAfterWrites();
    context_.log.warn("http.refuse peer={} reason=\"{}\"", stream->peer().ip, reason);
    // Kept open briefly so the answer is read before the socket closes (no reset).
    if (refused_.empty()) refusedTimer_.start(kRefusedLingerMs, 0, [this] { refused_.clear(); });
    refused_.push_back(std::move(stream));
    return;
  }
  accepted_.inc();
  uint64_t id = nextId_++;
  ++perIp_[stream->peer().ip];
  auto connection = std::make_unique<HttpConnection>(*this, std::move(stream), id);
  HttpConnection& ref = *connection;
  connections_.emplace(id, std::move(connection));
  ref.start();
}

bool HttpServer::admit(const core::PeerAddress& peer, std::string& reason) {
  const HttpLimits& l = limits();
  if (connections_.size() >= l.maxConnections) {
    rejectedTotal_.inc();
    reason = "server connection limit (" + std::to_string(l.maxConnections) + ") reached";
    return false;
  }
  auto it = perIp_.find(peer.ip);
  if (it != perIp_.end() && it->second >= l.maxConnectionsPerIp) {
    rejectedPerIp_.inc();
    reason = "per-address connection limit (" + std::to_string(l.maxConnectionsPerIp) + ") reached";
    return false;
  }
  return true;
}

void HttpServer::handle(HttpRequest& request, const std::shared_ptr<HttpResponse>& response) {
  // Handlers run on the loop inside a libuv callback: nothing may propagate out of here.
  try {
    handler_(request, response);
  } catch (const std::exception& e) {
    context_.log.error("http.handler_failed path={} what=\"{}\"", request.path, e.what());
    if (!response->started()) sendJsonError(*response, 500, "internal", "internal error");
  }
}

void HttpServer::release(HttpConnection& connection) {
  auto it = connections_.find(connection.id());
  if (it == connections_.end()) return;
  auto ip = perIp_.find(connection.peer().ip);
  if (ip != perIp_.end() && --ip->second == 0) perIp_.erase(ip);
  graveyard_.bury(std::move(it->second));
  connections_.erase(it);
  if (shuttingDown_ && connections_.empty() && onDrained_) {
    shutdownTimer_.stop();
    auto done = std::exchange(onDrained_, nullptr);
    done();
  }
}

void HttpServer::shutdown(uint64_t timeoutMs, std::function<void()> done) {
  shuttingDown_ = true;
  onDrained_ = std::move(done);
  if (listener_) listener_->close();
  if (tlsListener_) tlsListener_->close();
  if (connections_.empty()) {
    if (auto fn = std::exchange(onDrained_, nullptr)) fn();
    return;
  }
  std::vector<HttpConnection*> open;
  for (auto& [id, connection] : connections_) open.push_back(connection.get());
  for (auto* connection : open) connection->drain();
  shutdownTimer_.start(timeoutMs, 0, [this] { closeAll("shutdown timeout"); });
}

std::string_view HttpServer::dateHeader() {
  std::time_t now = std::time(nullptr);
  if (now != dateSecond_) {
    dateSecond_ = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[64];
    size_t n = std::strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    date_.assign(text, n);
  }
  return date_;
}

std::string_view HttpServer::commonHeaders() {
  std::string_view date = dateHeader();
  const std::string& cors = context_.config.get<HttpConfig>().corsAllowOrigin;
  if (commonSecond_ != dateSecond_ || commonCors_ != cors) {
    commonSecond_ = dateSecond_;
    commonCors_ = cors;
    common_ = "Server: tidecast\r\nDate: ";
    common_ += date;
    common_ += "\r\n";
    if (!cors.empty()) common_ += "Access-Control-Allow-Origin: " + cors + "\r\n";
  }
  return common_;
}

void HttpServer::countResponse(int status, size_t headBytes) {
  int index = status / 100;
  if (index >= 1 && index <= 5) responsesByClass_[index]->inc();
  bytesHead_.inc(headBytes);
}

void HttpServer::countBadRequest(std::string_view code) {
  context_.metrics
      .counter("tidecast_api_http_bad_requests_total", "Requests refused by the HTTP parser",
               {{"code", std::string(code)}})
      .inc();
}

}  // namespace tidecast::api
