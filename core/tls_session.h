// One server-side TLS connection as a byte transformer, with no socket of its own: ciphertext
// from the peer is fed in, plaintext comes out of read(); plaintext goes into write() and the
// records to send come out of takeCiphertext(). Memory BIOs between OpenSSL and the caller, so
// the socket stays libuv's (TcpStream drives this class). Loop thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/slice.h"
#include "core/tls_context.h"

namespace tidecast::core {

class TlsSession {
 public:
  enum class State { kHandshaking, kEstablished, kClosed, kFailed };

  // A session in server (accept) mode on `context`, which it keeps alive.
  static Result<std::unique_ptr<TlsSession>> accept(std::shared_ptr<TlsContext> context);
  TlsSession(std::shared_ptr<TlsContext> context, SSL* ssl, BIO* in, BIO* out);  // use accept()
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  State state() const { return state_; }
  bool established() const { return state_ == State::kEstablished; }
  // Why the state became kFailed (OpenSSL's text).
  const std::string& error() const { return error_; }

  // Ciphertext received from the peer; copied into the session.
  void feed(std::string_view ciphertext);
  // Advances the handshake with what was fed so far.
  State handshake();
  // Decrypts into `out`: the plaintext byte count, or 0 when more ciphertext is needed or the
  // state became kClosed (the peer's close_notify) or kFailed.
  size_t read(char* out, size_t capacity);
  // Encrypts plaintext into records: the bytes taken (0 on failure). Established (or closed
  // by the peer) only.
  size_t write(const char* data, size_t size);
  // Queues our close_notify (established sessions only).
  void closeNotify();

  // Records waiting to go to the peer (handshake messages, data, alerts).
  bool hasCiphertext() const;
  Slice takeCiphertext();
  // Fed ciphertext or decrypted plaintext not read yet.
  bool hasBufferedInput() const;
  // "TLSv1.3 TLS_AES_128_GCM_SHA256 alpn=http/1.1" once established.
  std::string describe() const;

 private:
  State fail(int rc, std::string_view what);

  std::shared_ptr<TlsContext> context_;
  SSL* ssl_;
  BIO* in_;   // owned by ssl_
  BIO* out_;  // owned by ssl_
  State state_ = State::kHandshaking;
  std::string error_;
};

}  // namespace tidecast::core
