// TCP on libuv: a listener that hands out accepted streams, and a stream whose writes are
// lists of Slices gathered into iovecs (never copied) and coalesced per loop turn.
// A stream may run TLS (startTls, or a listener with setTls): the same calls then carry
// plaintext, encrypted and decrypted in between (core/tls_session.h); mirrored Slices are sent
// from memory, never by sendfile. Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/loop.h"
#include "core/slice_writer.h"

namespace tidecast::core {

class TlsAcceptor;

struct PeerAddress {
  std::string ip;  // textual IPv4 or IPv6
  uint16_t port = 0;
};

class TcpStream final : public UvHandle<uv_tcp_t>, private Flushable {
 public:
  explicit TcpStream(Loop& loop);
  ~TcpStream();

  using DataFn = std::function<void(std::string_view bytes)>;
  // status is UV_EOF on an orderly close by the peer, another libuv error otherwise.
  using EndFn = std::function<void(int status)>;

  // Bytes passed to onData are only valid during the call (the loop's shared read buffer).
  void startRead(DataFn onData, EndFn onEnd);
  void stopRead();
  // Starts reading again after stopRead(), with the same callbacks.
  void resumeRead() { readPeer(); }

  // Queues slices for writing at the end of this loop turn (see Loop::deferFlush). The
  // stream keeps references until the kernel has taken the bytes.
  void write(Slice slice);
  void write(const SliceList& slices);
  // Writes everything queued now instead of at the end of the turn.
  void flushNow() { flush(); }
  // With withinMs > 0, writes are held for the loop's merge tick (Loop::deferMergedFlush):
  // a viewer's packets then leave in one writev every withinMs instead of one per packet,
  // at the cost of up to withinMs of delay. 0 (the default) flushes every loop turn.
  void setWriteMerge(uint32_t withinMs);

  // Server-side TLS from now on, with the acceptor's current context: the handshake starts
  // reading at once; onData sees plaintext. A failed or timed-out handshake is counted and
  // logged by the acceptor and ends the stream (onEnd with UV_EPROTO / UV_ETIMEDOUT, or a
  // close when nobody reads). Call before anything is written.
  Status startTls(std::shared_ptr<TlsAcceptor> acceptor);
  bool isTls() const { return tls_ != nullptr; }

  // Bytes accepted by write() and not yet handed to the kernel (under TLS: plaintext not yet
  // encrypted plus records not yet sent).
  size_t pendingBytes() const { return queued_.bytes() + inFlightBytes_; }
  // Called whenever pendingBytes() drops to zero (for streaming with backpressure).
  void setOnDrain(std::function<void()> fn) { onDrain_ = std::move(fn); }

  // Half-closes after all queued bytes are written (under TLS after our close_notify).
  void shutdownAfterWrites();
  void setNoDelay(bool enabled);
  const PeerAddress& peer() const { return peer_; }

 private:
  friend class TcpListener;
  struct WriteRequest;
  struct TlsState;
  void flush() override;
  void onWritten(size_t bytes);
  void readPeer();
  void armRead();
  bool submitWrite(WriteBatch& batch);
  // TLS (tcp_tls.cpp): the unlikely branches of the calls above.
  void onTlsInput(std::string_view ciphertext);
  void deliverTlsPlaintext();
  bool finishTlsHandshake();
  void failTls(std::string_view reason, int status);
  void flushTls();
  bool encryptQueued();
  void sendTlsOutput();
  void resumeTlsInput();
  void sendCloseNotify();
  bool tlsHandshaking() const;

  DataFn onData_;
  EndFn onEnd_;
  std::function<void()> onDrain_;
  int socketFd();
  ssize_t sendAhead(const std::vector<uv_buf_t>& buffers);
  WriteBatch queued_;
  size_t inFlightBytes_ = 0;
  bool flushQueued_ = false;
  uint32_t mergeWithinMs_ = 0;
  bool shutdownRequested_ = false;
  bool reading_ = false;  // the owner wants onData (TLS reads during the handshake regardless)
  PeerAddress peer_;
  std::unique_ptr<TlsState> tls_;
};

class TcpListener final : public UvHandle<uv_tcp_t> {
 public:
  explicit TcpListener(Loop& loop);

  using AcceptFn = std::function<void(std::unique_ptr<TcpStream>)>;
  // Binds host:port (port 0 picks a free one) and starts accepting.
  Status listen(const std::string& host, uint16_t port, int backlog, AcceptFn onAccept);
  uint16_t boundPort() const { return boundPort_; }
  // Every accepted stream starts TLS with this acceptor (call before listen()).
  void setTls(std::shared_ptr<TlsAcceptor> acceptor) { tls_ = std::move(acceptor); }

 private:
  void acceptOne();

  AcceptFn onAccept_;
  std::shared_ptr<TlsAcceptor> tls_;
  uint16_t boundPort_ = 0;
};

// Formats a sockaddr as ip + port.
PeerAddress toPeerAddress(const sockaddr_storage& address);

}  // namespace tidecast::core
