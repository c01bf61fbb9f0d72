#include "core/tcp.h"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <utility>

#include "core/tcp_tls.h"

namespace tidecast::core {

// A uv_write in flight: owns the references to the bytes until libuv is done with them.
struct TcpStream::WriteRequest {
  uv_write_t req{};
  std::vector<Slice> slices;
  std::vector<uv_buf_t> buffers;
  size_t bytes = 0;
};

TcpStream::TcpStream(Loop& loop) : UvHandle(loop) {
  markInitialized(uv_tcp_init(loop.raw(), raw()));
}

TcpStream::~TcpStream() {
  if (flushQueued_) loop().cancelFlush(*this);
}

void TcpStream::startRead(DataFn onData, EndFn onEnd) {
  onData_ = std::move(onData);
  onEnd_ = std::move(onEnd);
  readPeer();
}

void TcpStream::readPeer() {
  reading_ = true;
  armRead();
  if (tls_) [[unlikely]] {
    resumeTlsInput();
  }
}

void TcpStream::armRead() {
  auto alloc = [](uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = owner<TcpStream>(h);
    *buf = self ? self->loop().readBuffer() : uv_buf_init(nullptr, 0);
  };
  auto read = [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = owner<TcpStream>(s);
    if (!self || nread == 0) return;
    // The callback may destroy this stream (closing the connection), so it runs from a
    // local copy and nothing touches `self` afterwards unless the handle is still open.
    if (nread > 0) {
      if (self->tls_) [[unlikely]] {
        self->onTlsInput(std::string_view(buf->base, static_cast<size_t>(nread)));
        return;
      }
      auto fn = std::move(self->onData_);
      fn(std::string_view(buf->base, static_cast<size_t>(nread)));
      if (s->data != nullptr && !self->onData_) self->onData_ = std::move(fn);
      return;
    }
    uv_read_stop(s);
    if (self->tls_ && self->tlsHandshaking()) [[unlikely]] {
      self->failTls("peer closed during the handshake", static_cast<int>(nread));
      return;
    }
    auto fn = std::exchange(self->onEnd_, nullptr);
    if (fn) fn(static_cast<int>(nread));
  };
  uv_read_start(reinterpret_cast<uv_stream_t*>(raw()), alloc, read);
}

void TcpStream::stopRead() {
  reading_ = false;
  if (isOpen()) uv_read_stop(reinterpret_cast<uv_stream_t*>(raw()));
}

void TcpStream::write(Slice slice) {
  queued_.append(std::move(slice));
  if (!flushQueued_ && !queued_.empty()) {
    flushQueued_ = true;
    if (mergeWithinMs_ > 0) {
      loop().deferMergedFlush(*this, mergeWithinMs_);
    } else {
      loop().deferFlush(*this);
    }
  }
}

void TcpStream::setWriteMerge(uint32_t withinMs) {
  mergeWithinMs_ = withinMs;
  if (withinMs == 0 && flushQueued_) flush();
}

void TcpStream::write(const SliceList& slices) {
  for (const auto& slice : slices) write(slice);
}

void TcpStream::flush() {
  if (flushQueued_) {
    flushQueued_ = false;
    loop().cancelFlush(*this);
  }
  if (!isOpen()) return;
  if (tls_) [[unlikely]] {
    flushTls();
    return;
  }
  auto* stream = reinterpret_cast<uv_stream_t*>(raw());
  // Try the kernel directly first: most writes complete here without a request allocation.
  // Bytes mirrored in a file go by sendfile (no copy out of user memory); if the socket
  // cannot take them now, they go by uv_write from memory like the rest.
  while (inFlightBytes_ == 0 && !queued_.empty()) {
    size_t length = 0;
    FileSpan file = queued_.fileRun(length);
    if (file.fd >= 0) {
      auto offset = static_cast<off_t>(file.offset);
      ssize_t sent = ::sendfile(socketFd(), file.fd, &offset, length);
      if (sent <= 0) break;
      queued_.consume(static_cast<size_t>(sent));
      continue;
    }
    bool fileFollows = false;
    const auto& buffers = queued_.memoryIovecs(fileFollows);
    ssize_t written =
        fileFollows ? sendAhead(buffers)
                    : uv_try_write(stream, buffers.data(), static_cast<unsigned>(buffers.size()));
    if (written <= 0) break;
    queued_.consume(static_cast<size_t>(written));
  }
  if (!queued_.empty()) {
    submitWrite(queued_);
    return;
  }
  onWritten(0);
}

// Hands what is left of `batch` to uv_write (libuv keeps requests in order). False when the
// socket is broken (the read side reports it).
bool TcpStream::submitWrite(WriteBatch& batch) {
  auto request = std::make_unique<WriteRequest>();
  request->bytes = batch.bytes();
  request->slices = batch.take();
  for (const auto& slice : request->slices) {
    request->buffers.push_back(
        uv_buf_init(const_cast<char*>(slice.view().data()), static_cast<unsigned>(slice.size())));
  }
  request->req.data = request.get();
  int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(raw()), request->buffers.data(),
                    static_cast<unsigned>(request->buffers.size()), [](uv_write_t* req, int) {
                      std::unique_ptr<WriteRequest> done(static_cast<WriteRequest*>(req->data));
                      if (auto* self = owner<TcpStream>(req->handle)) self->onWritten(done->bytes);
                    });
  if (rc != 0) return false;
  inFlightBytes_ += request->bytes;
  (void)request.release();  // owned by libuv until the write callback
  return true;
}

ssize_t TcpStream::sendAhead(const std::vector<uv_buf_t>& buffers) {
  // MSG_MORE: the kernel keeps these bytes (an HTTP head) to go out in one segment train with
  // the sendfile that follows, instead of a small packet of their own.
  msghdr message{};
  message.msg_iov = reinterpret_cast<iovec*>(const_cast<uv_buf_t*>(buffers.data()));
  message.msg_iovlen = buffers.size();
  return ::sendmsg(socketFd(), &message, MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL);
}

int TcpStream::socketFd() {
  uv_os_fd_t fd = -1;
  uv_fileno(reinterpret_cast<uv_handle_t*>(raw()), &fd);
  return fd;
}

void TcpStream::onWritten(size_t bytes) {
  inFlightBytes_ -= bytes;
  if (tls_ && bytes > 0 && !queued_.empty()) [[unlikely]] {
    flush();  // plaintext waited for room under the TLS write window
    return;
  }
  if (pendingBytes() != 0) return;
  if (shutdownRequested_) {
    shutdownRequested_ = false;
    if (tls_) [[unlikely]] {
      sendCloseNotify();
    }
    auto req = std::make_unique<uv_shutdown_t>();
    if (uv_shutdown(req.get(), reinterpret_cast<uv_stream_t*>(raw()),
                    [](uv_shutdown_t* r, int) { std::unique_ptr<uv_shutdown_t> done(r); }) == 0) {
      (void)req.release();  // freed in its callback, which libuv always calls
    }
    if (pendingBytes() != 0) return;  // a close_notify still going out: drained once it is
  }
  if (onDrain_) onDrain_();
}

void TcpStream::shutdownAfterWrites() {
  shutdownRequested_ = true;
  if (pendingBytes() == 0) onWritten(0);
}

void TcpStream::setNoDelay(bool enabled) { uv_tcp_nodelay(raw(), enabled ? 1 : 0); }

TcpListener::TcpListener(Loop& loop) : UvHandle(loop) {
  markInitialized(uv_tcp_init(loop.raw(), raw()));
}

Status TcpListener::listen(const std::string& host, uint16_t port, int backlog, AcceptFn onAccept) {
  onAccept_ = std::move(onAccept);
  sockaddr_storage address{};
  bool v6 = host.find(':') != std::string::npos;
  int rc = v6 ? uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address))
              : uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) return makeError("tcp.bad_address", "invalid listen address '" + host + "'");
  rc = uv_tcp_bind(raw(), reinterpret_cast<const sockaddr*>(&address), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(raw()), backlog, [](uv_stream_t* s, int st) {
      auto* self = owner<TcpListener>(s);
      if (self && st == 0) self->acceptOne();
    });
  }
  if (rc != 0) {
    return makeError("tcp.listen",
                     "listen on " + host + ":" + std::to_string(port) + ": " + uv_strerror(rc));
  }
  sockaddr_storage bound{};
  int length = sizeof(bound);
  uv_tcp_getsockname(raw(), reinterpret_cast<sockaddr*>(&bound), &length);
  boundPort_ = toPeerAddress(bound).port;
  return {};
}

void TcpListener::acceptOne() {
  auto stream = std::make_unique<TcpStream>(loop());
  if (uv_accept(reinterpret_cast<uv_stream_t*>(raw()),
                reinterpret_cast<uv_stream_t*>(stream->raw())) != 0) {
    return;
  }
  sockaddr_storage peer{};
  int length = sizeof(peer);
  if (uv_tcp_getpeername(stream->raw(), reinterpret_cast<sockaddr*>(&peer), &length) == 0) {
    stream->peer_ = toPeerAddress(peer);
  }
  stream->setNoDelay(true);
  if (tls_ && !stream->startTls(tls_)) return;  // counted and logged; the stream closes
  onAccept_(std::move(stream));
}

PeerAddress toPeerAddress(const sockaddr_storage& address) {
  PeerAddress out;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(in6, text, sizeof(text));
    out.port = ntohs(in6->sin6_port);
  } else if (address.ss_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(in4, text, sizeof(text));
    out.port = ntohs(in4->sin_port);
  }
  out.ip = text;
  return out;
}

}  // namespace tidecast::core
