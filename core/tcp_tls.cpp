// TcpStream under TLS: ciphertext read from the socket goes into the session, plaintext out of
// it goes to onData; queued plaintext Slices are encrypted in bounded steps and the records go
// out through uv_try_write/uv_write like any other bytes. The plain path lives in tcp.cpp and
// branches here on one check of tls_.
#include <cstring>

#include "core/tcp_tls.h"

namespace tidecast::core {

namespace {
constexpr size_t kTlsRecordBytes = 16384;            // the most plaintext one record carries
constexpr size_t kTlsLargeWriteBytes = 64 * 1024;    // one SSL_write out of one large Slice
constexpr size_t kTlsWriteWindowBytes = 256 * 1024;  // records in flight before encrypting waits
constexpr size_t kTlsGatherSlices = 64;
}  // namespace

Status TcpStream::startTls(std::shared_ptr<TlsAcceptor> acceptor) {
  auto session = TlsSession::accept(acceptor->context());
  if (!session) {
    acceptor->handshakeFailed(peer_.ip, session.error().message);
    return session.error();
  }
  tls_ = std::make_unique<TlsState>(loop(), std::move(acceptor), std::move(*session));
  tls_->timer.start(tls_->acceptor->handshakeTimeoutMs(), 0,
                    [this] { failTls("handshake timeout", UV_ETIMEDOUT); });
  armRead();  // the handshake reads whether or not the owner reads yet
  return {};
}

bool TcpStream::tlsHandshaking() const {
  return !tls_->failed && tls_->session->state() == TlsSession::State::kHandshaking;
}

void TcpStream::onTlsInput(std::string_view ciphertext) {
  tls_->session->feed(ciphertext);
  if (tlsHandshaking() && !finishTlsHandshake()) return;
  deliverTlsPlaintext();
}

// True once established; false while the handshake goes on or after it failed (the stream
// has then ended).
bool TcpStream::finishTlsHandshake() {
  TlsSession& session = *tls_->session;
  TlsSession::State state = session.handshake();
  sendTlsOutput();
  if (state == TlsSession::State::kFailed) {
    failTls(session.error(), UV_EPROTO);
    return false;
  }
  if (state != TlsSession::State::kEstablished) return false;
  tls_->timer.stop();
  tls_->acceptor->handshakeSucceeded(peer_.ip, session.describe());
  if (!queued_.empty() && !flushQueued_) {  // written before the handshake was done
    flushQueued_ = true;
    loop().deferFlush(*this);
  }
  return true;
}

void TcpStream::deliverTlsPlaintext() {
  uv_stream_t* handle = reinterpret_cast<uv_stream_t*>(raw());
  TlsSession& session = *tls_->session;
  while (reading_ && onData_) {
    // The ciphertext was copied into the session: the loop's read buffer is free again.
    uv_buf_t buffer = loop().readBuffer();
    size_t n = session.read(buffer.base, buffer.len);
    if (n == 0) break;
    auto fn = std::move(onData_);
    fn(std::string_view(buffer.base, n));
    if (handle->data == nullptr) return;  // the callback closed (perhaps destroyed) the stream
    if (!onData_) onData_ = std::move(fn);
  }
  sendTlsOutput();  // session tickets, key updates
  TlsSession::State state = session.state();
  if (state == TlsSession::State::kEstablished) {
    // Not wanted now: leave further input in the socket (bounded memory) until resumeRead().
    if (!reading_) uv_read_stop(handle);
    return;
  }
  // The peer's close_notify is an orderly end; a bad record a protocol error.
  uv_read_stop(handle);
  auto fn = std::exchange(onEnd_, nullptr);
  if (fn) fn(state == TlsSession::State::kClosed ? UV_EOF : UV_EPROTO);
}

void TcpStream::resumeTlsInput() {
  if (!tls_->session->established() || !tls_->session->hasBufferedInput()) return;
  // Later, not inside resumeRead(): the owner may call it from its own onData.
  tls_->timer.start(0, 0, [this] {
    if (reading_ && isOpen()) deliverTlsPlaintext();
  });
}

void TcpStream::failTls(std::string_view reason, int status) {
  if (tls_->failed) return;
  tls_->failed = true;
  tls_->timer.stop();
  tls_->acceptor->handshakeFailed(peer_.ip, reason);
  sendTlsOutput();  // the alert telling the peer why, when there is one
  if (isOpen()) uv_read_stop(reinterpret_cast<uv_stream_t*>(raw()));
  auto fn = std::exchange(onEnd_, nullptr);
  if (fn) {
    fn(status);
  } else {
    close();  // nobody reads this stream yet: it only waited for the handshake
  }
}

void TcpStream::flushTls() {
  if (tlsHandshaking()) return;  // plaintext waits for the handshake
  while (!queued_.empty() && inFlightBytes_ < kTlsWriteWindowBytes) {
    if (!encryptQueued()) {
      // The session failed: these bytes can never go out. Dropping them lets the stream
      // drain, so owners waiting for it (shutdownAfterWrites, setOnDrain) close it.
      queued_.consume(queued_.bytes());
      break;
    }
    sendTlsOutput();
  }
  onWritten(0);
}

// Encrypts the next bytes of queued_ (mirrored Slices from their memory): a large Slice by
// itself, small ones gathered so that they share a record.
bool TcpStream::encryptQueued() {
  TlsSession& session = *tls_->session;
  const std::vector<uv_buf_t>& buffers = queued_.iovecs(kTlsGatherSlices);
  const uv_buf_t& first = buffers.front();
  size_t taken = 0;
  if (first.len >= kTlsRecordBytes || buffers.size() == 1) {
    taken = session.write(first.base, std::min<size_t>(first.len, kTlsLargeWriteBytes));
  } else {
    char staging[kTlsRecordBytes];
    size_t used = 0;
    for (const uv_buf_t& buffer : buffers) {
      size_t n = std::min<size_t>(buffer.len, sizeof(staging) - used);
      std::memcpy(staging + used, buffer.base, n);
      used += n;
      if (used == sizeof(staging)) break;
    }
    taken = session.write(staging, used);
  }
  if (taken == 0) return false;
  queued_.consume(taken);
  return true;
}

// Sends the records the session produced: straight to the kernel when nothing is queued in
// libuv, the rest by uv_write (counted in inFlightBytes_).
void TcpStream::sendTlsOutput() {
  TlsSession& session = *tls_->session;
  if (!session.hasCiphertext() || !isOpen()) return;
  WriteBatch& out = tls_->ciphertext;
  out.append(session.takeCiphertext());
  auto* stream = reinterpret_cast<uv_stream_t*>(raw());
  while (inFlightBytes_ == 0 && !out.empty()) {
    const std::vector<uv_buf_t>& buffers = out.iovecs();
    ssize_t written = uv_try_write(stream, buffers.data(), static_cast<unsigned>(buffers.size()));
    if (written <= 0) break;
    out.consume(static_cast<size_t>(written));
  }
  if (!out.empty() && !submitWrite(out)) out.consume(out.bytes());  // the socket is broken
}

void TcpStream::sendCloseNotify() {
  tls_->session->closeNotify();
  sendTlsOutput();
}

}  // namespace tidecast::core
