// TcpStream's TLS state, shared by core/tcp.cpp and core/tcp_tls.cpp only (not a public
// header: owners of streams see TLS through TcpStream::startTls and TcpListener::setTls).
#pragma once

#include <memory>

#include "core/loop.h"
#include "core/slice_writer.h"
#include "core/tcp.h"
#include "core/tls_context.h"
#include "core/tls_session.h"

namespace tidecast::core {

struct TcpStream::TlsState {
  TlsState(Loop& loop, std::shared_ptr<TlsAcceptor> tlsAcceptor,
           std::unique_ptr<TlsSession> tlsSession)
      : acceptor(std::move(tlsAcceptor)), session(std::move(tlsSession)), timer(loop) {}

  std::shared_ptr<TlsAcceptor> acceptor;
  std::unique_ptr<TlsSession> session;
  // The handshake deadline; once established, a zero-delay kick that delivers plaintext
  // buffered while the owner was not reading.
  Timer timer;
  WriteBatch ciphertext;  // records on their way to the socket (empty between calls)
  bool failed = false;
};

}  // namespace tidecast::core
