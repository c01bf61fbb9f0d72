#include "core/tls_session.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <climits>
#include <utility>

namespace tidecast::core {

Result<std::unique_ptr<TlsSession>> TlsSession::accept(std::shared_ptr<TlsContext> context) {
  ERR_clear_error();
  SSL* ssl = SSL_new(context->raw());
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (ssl == nullptr || in == nullptr || out == nullptr) {
    SSL_free(ssl);
    BIO_free(in);
    BIO_free(out);
    return makeError("tls.session", takeOpenSslErrors("cannot create a TLS session"));
  }
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(in, -1);
  SSL_set_bio(ssl, in, out);
  SSL_set_accept_state(ssl);
  return std::make_unique<TlsSession>(std::move(context), ssl, in, out);
}

TlsSession::TlsSession(std::shared_ptr<TlsContext> context, SSL* ssl, BIO* in, BIO* out)
    : context_(std::move(context)), ssl_(ssl), in_(in), out_(out) {}

TlsSession::~TlsSession() { SSL_free(ssl_); }

void TlsSession::feed(std::string_view ciphertext) {
  while (!ciphertext.empty()) {
    int chunk = static_cast<int>(std::min<size_t>(ciphertext.size(), INT_MAX));
    int written = BIO_write(in_, ciphertext.data(), chunk);
    if (written <= 0) {
      state_ = State::kFailed;
      error_ = takeOpenSslErrors("cannot buffer input");
      return;
    }
    ciphertext.remove_prefix(static_cast<size_t>(written));
  }
}

TlsSession::State TlsSession::fail(int rc, std::string_view what) {
  state_ = State::kFailed;
  int reason = SSL_get_error(ssl_, rc);
  if (reason == SSL_ERROR_SYSCALL || reason == SSL_ERROR_SSL) {
    error_ = takeOpenSslErrors(what);
  } else {
    error_ = std::string(what) + " (SSL error " + std::to_string(reason) + ")";
    ERR_clear_error();
  }
  return state_;
}

TlsSession::State TlsSession::handshake() {
  if (state_ != State::kHandshaking) return state_;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    state_ = State::kEstablished;
  } else {
    int reason = SSL_get_error(ssl_, rc);
    if (reason != SSL_ERROR_WANT_READ && reason != SSL_ERROR_WANT_WRITE) {
      fail(rc, "handshake failed");
    }
  }
  return state_;
}

size_t TlsSession::read(char* out, size_t capacity) {
  if (state_ != State::kEstablished) return 0;
  ERR_clear_error();
  size_t n = 0;
  int rc = SSL_read_ex(ssl_, out, capacity, &n);
  if (rc == 1) return n;
  int reason = SSL_get_error(ssl_, rc);
  if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return 0;
  if (reason == SSL_ERROR_ZERO_RETURN) {
    state_ = State::kClosed;
    return 0;
  }
  fail(rc, "read failed");
  return 0;
}

size_t TlsSession::write(const char* data, size_t size) {
  // After the peer's close_notify we may still finish what we were sending.
  if (state_ != State::kEstablished && state_ != State::kClosed) return 0;
  ERR_clear_error();
  size_t n = 0;
  int rc = SSL_write_ex(ssl_, data, size, &n);
  if (rc == 1) return n;
  fail(rc, "write failed");
  return 0;
}

void TlsSession::closeNotify() {
  if (state_ != State::kEstablished && state_ != State::kClosed) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // queues the alert; we do not wait for the peer's
  ERR_clear_error();
}

bool TlsSession::hasCiphertext() const { return BIO_ctrl_pending(out_) > 0; }

Slice TlsSession::takeCiphertext() {
  size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return {};
  SliceBuilder builder(pending);
  int n = BIO_read(out_, builder.data(), static_cast<int>(std::min<size_t>(pending, INT_MAX)));
  if (n > 0) builder.commit(static_cast<size_t>(n));
  return builder.finish();
}

bool TlsSession::hasBufferedInput() const {
  return SSL_pending(ssl_) > 0 || BIO_ctrl_pending(in_) > 0;
}

std::string TlsSession::describe() const {
  std::string text = SSL_get_version(ssl_);
  text += ' ';
  text += SSL_get_cipher_name(ssl_);
  const unsigned char* alpn = nullptr;
  unsigned int length = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &length);
  if (length > 0) text += " alpn=" + std::string(reinterpret_cast<const char*>(alpn), length);
  return text;
}

}  // namespace tidecast::core
