// Incremental HTTP/1.1 request parsing on llhttp, with tidecast's limits. Stops after each
// complete request so a connection can answer pipelined requests in order and stop reading
// when too many are waiting. Any input, however hostile, ends in a request or an error with
// the status code to answer (400, 413, 431, 505); the parser then refuses further input.
// An error is reported as soon as the bytes that make it are in, never after waiting for
// more: a request line without a version (HTTP/0.9) at its line end (400), a version other
// than 1.x at the end of the version (505), a chunk size past 2^63-1 (400) or past what is
// left of the body limit (413) at the end of its line, before any chunk data.
#pragma once

#include <llhttp.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "api/http_request.h"

namespace tidecast::api {

struct HttpParseLimits {
  size_t maxHeaderBytes = 16 * 1024;  // request line + header block
  size_t maxBodyBytes = 1024 * 1024;
};

// Bytes of chunk extensions (";name=value" after a chunk size) accepted in one request. They
// carry nothing tidecast uses, and llhttp reads them without end (the 413 answer names them).
inline constexpr size_t kMaxChunkExtensionBytes = 16 * 1024;

struct HttpParseError {
  int status = 400;  // what to answer before closing
  std::string code;  // "http.malformed", "http.header_too_large", ...
  std::string reason;
};

class HttpRequestParser {
 public:
  explicit HttpRequestParser(HttpParseLimits limits);
  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  enum class State { kNeedMore, kRequest, kError };
  struct Step {
    State state;
    size_t consumed;  // bytes of the input used; parse the rest after taking the request
  };

  // Feeds bytes. Returns kRequest as soon as one request is complete (takeRequest() then
  // gives it), kNeedMore when all bytes were consumed without completing one, kError when
  // the input is invalid or over a limit (error() says why; every later call errors too).
  Step parse(std::string_view bytes);
  // The connection ended; completes nothing, but reports a truncated request.
  bool truncated() const { return inMessage_; }

  HttpRequest takeRequest();
  const HttpParseError& error() const { return error_; }
  // True between the first byte of a request and its completion (for the header timeout).
  bool inMessage() const { return inMessage_; }
  void setLimits(HttpParseLimits limits) { limits_ = limits; }
  // True once per request that asked for "Expect: 100-continue" with an acceptable body size.
  bool takeExpectContinue() { return std::exchange(expectContinue_, false); }

 private:
  static HttpRequestParser& self(llhttp_t* parser);
  static int onMessageBegin(llhttp_t* p);
  static int onUrl(llhttp_t* p, const char* at, size_t length);
  static int onVersion(llhttp_t* p, const char* at, size_t length);
  static int onVersionComplete(llhttp_t* p);
  static int onHeaderField(llhttp_t* p, const char* at, size_t length);
  static int onHeaderValue(llhttp_t* p, const char* at, size_t length);
  static int onHeadersComplete(llhttp_t* p);
  static int onChunkHeader(llhttp_t* p);
  static int onChunkExtension(llhttp_t* p, const char* at, size_t length);
  static int onChunkExtensionEnd(llhttp_t* p);
  static int onBody(llhttp_t* p, const char* at, size_t length);
  static int onMessageComplete(llhttp_t* p);

  int fail(int status, std::string code, std::string reason);
  int fail(HttpParseError error);
  int failBodyTooLarge();
  int countChunkExtensionBytes(size_t count);
  // What to answer for an error llhttp itself found.
  HttpParseError llhttpError(llhttp_errno_t rc) const;
  bool addHeaderBytes(size_t count);
  Step finishStep(llhttp_errno_t rc, std::string_view bytes);
  bool splitTarget();

  llhttp_t parser_{};
  llhttp_settings_t settings_{};
  HttpParseLimits limits_;
  HttpRequest current_;
  HttpRequest ready_;
  HttpParseError error_;
  size_t headerBytes_ = 0;
  size_t chunkExtensionBytes_ = 0;
  const char* inputEnd_ = nullptr;  // end of the bytes parse() is working on
  std::string version_;             // "1.1" as received: bad (400) or unsupported (505)?
  bool inMessage_ = false;
  bool inHeaders_ = false;
  bool lastWasValue_ = false;
  bool failed_ = false;
  bool expectContinue_ = false;
};

}  // namespace tidecast::api
