// TCP on libuv: a listener that hands out accepted streams, and a stream whose writes are
// lists of Slices gathered into iovecs (never copied) and coalesced per loop turn.
// Loop thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/loop.h"
#include "core/slice_writer.h"

namespace tidecast::core {

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

  // Bytes accepted by write() and not yet handed to the kernel.
  size_t pendingBytes() const { return queued_.bytes() + inFlightBytes_; }
  // Called whenever pendingBytes() drops to zero (for streaming with backpressure).
  void setOnDrain(std::function<void()> fn) { onDrain_ = std::move(fn); }

  // Half-closes after all queued bytes are written.
  void shutdownAfterWrites();
  void setNoDelay(bool enabled);
  const PeerAddress& peer() const { return peer_; }

 private:
  friend class TcpListener;
  struct WriteRequest;
  void flush() override;
  void onWritten(size_t bytes);
  void readPeer();

  DataFn onData_;
  EndFn onEnd_;
  std::function<void()> onDrain_;
  int socketFd();
  ssize_t sendAhead(const std::vector<uv_buf_t>& buffers);
  WriteBatch queued_;
  size_t inFlightBytes_ = 0;
  bool flushQueued_ = false;
  bool shutdownRequested_ = false;
  PeerAddress peer_;
};

class TcpListener final : public UvHandle<uv_tcp_t> {
 public:
  explicit TcpListener(Loop& loop);

  using AcceptFn = std::function<void(std::unique_ptr<TcpStream>)>;
  // Binds host:port (port 0 picks a free one) and starts accepting.
  Status listen(const std::string& host, uint16_t port, int backlog, AcceptFn onAccept);
  uint16_t boundPort() const { return boundPort_; }

 private:
  void acceptOne();

  AcceptFn onAccept_;
  uint16_t boundPort_ = 0;
};

// Formats a sockaddr as ip + port.
PeerAddress toPeerAddress(const sockaddr_storage& address);

}  // namespace tidecast::core
