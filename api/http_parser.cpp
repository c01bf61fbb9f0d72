#include "api/http_parser.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <limits>

namespace tidecast::api {

namespace {
constexpr size_t kMaxHeaderCount = 100;
constexpr size_t kPerHeaderOverhead = 4;  // ": " and CRLF, so the limit matches bytes on the wire
// The largest chunk size taken as a size at all (nginx's bound too: off_t). llhttp accepts up
// to 2^64-1 and then waits for that many bytes; past this bound the chunk line is malformed.
constexpr uint64_t kMaxChunkSize = std::numeric_limits<int64_t>::max();

// RFC 9110 5.6.2 token characters, the only ones allowed in a field name. llhttp (built
// without LLHTTP_STRICT_MODE) lets spaces through, which RFC 9112 5.1 says a server MUST
// refuse: "Name : value" is a request-smuggling shape when a proxy reads it differently.
bool isTokenChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
}

void trimTrailingSpace(std::string& value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
}

HttpParseError unsupportedVersion() {
  return {505, "http.version", "only HTTP/1.0 and HTTP/1.1 are supported"};
}

// RFC 9112 2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT (the part after the slash).
bool isVersionNumber(std::string_view version) {
  return version.size() == 3 && std::isdigit(static_cast<unsigned char>(version[0])) &&
         version[1] == '.' && std::isdigit(static_cast<unsigned char>(version[2]));
}
}  // namespace

HttpRequestParser::HttpRequestParser(HttpParseLimits limits) : limits_(limits) {
  llhttp_settings_init(&settings_);
  settings_.on_message_begin = &HttpRequestParser::onMessageBegin;
  settings_.on_url = &HttpRequestParser::onUrl;
  settings_.on_version = &HttpRequestParser::onVersion;
  settings_.on_version_complete = &HttpRequestParser::onVersionComplete;
  settings_.on_header_field = &HttpRequestParser::onHeaderField;
  settings_.on_header_value = &HttpRequestParser::onHeaderValue;
  settings_.on_headers_complete = &HttpRequestParser::onHeadersComplete;
  settings_.on_chunk_header = &HttpRequestParser::onChunkHeader;
  settings_.on_chunk_extension_name = &HttpRequestParser::onChunkExtension;
  settings_.on_chunk_extension_value = &HttpRequestParser::onChunkExtension;
  settings_.on_chunk_extension_name_complete = &HttpRequestParser::onChunkExtensionEnd;
  settings_.on_chunk_extension_value_complete = &HttpRequestParser::onChunkExtensionEnd;
  settings_.on_body = &HttpRequestParser::onBody;
  settings_.on_message_complete = &HttpRequestParser::onMessageComplete;
  llhttp_init(&parser_, HTTP_REQUEST, &settings_);
  parser_.data = this;
}

HttpRequestParser& HttpRequestParser::self(llhttp_t* parser) {
  return *static_cast<HttpRequestParser*>(parser->data);
}

HttpRequestParser::Step HttpRequestParser::parse(std::string_view bytes) {
  if (failed_) return {State::kError, 0};
  if (bytes.empty()) return {State::kNeedMore, 0};
  inputEnd_ = bytes.data() + bytes.size();
  return finishStep(llhttp_execute(&parser_, bytes.data(), bytes.size()), bytes);
}

HttpRequestParser::Step HttpRequestParser::finishStep(llhttp_errno_t rc, std::string_view bytes) {
  auto consumedUpTo = [&]() {
    const char* pos = llhttp_get_error_pos(&parser_);
    return pos ? static_cast<size_t>(pos - bytes.data()) : bytes.size();
  };
  // A callback refused (llhttp then reports HPE_USER or the callback's HPE_CB_* code):
  // error_ says why.
  if (failed_) return {State::kError, consumedUpTo()};
  switch (rc) {
    case HPE_OK:
      return {State::kNeedMore, bytes.size()};
    case HPE_PAUSED: {
      size_t consumed = consumedUpTo();
      llhttp_resume(&parser_);
      return {State::kRequest, consumed};
    }
    case HPE_PAUSED_UPGRADE: {
      size_t consumed = consumedUpTo();
      llhttp_resume_after_upgrade(&parser_);
      return {State::kRequest, consumed};
    }
    default:
      fail(llhttpError(rc));
      return {State::kError, consumedUpTo()};
  }
}

HttpParseError HttpRequestParser::llhttpError(llhttp_errno_t rc) const {
  const char* reason = llhttp_get_error_reason(&parser_);
  std::string text = reason ? reason : llhttp_errno_name(rc);
  switch (rc) {
    case HPE_UNEXPECTED_CONTENT_LENGTH:
      return {400, "http.conflicting_length", text};
    case HPE_INVALID_CHUNK_SIZE:
      return {400, "http.bad_chunk_size", text};
    case HPE_INVALID_VERSION:
      // llhttp knows 0.9, 1.0, 1.1 and 2.0 only: "HTTP/3.1" is well formed but unsupported.
      if (isVersionNumber(version_)) return unsupportedVersion();
      return {400, "http.malformed", text};
    default:
      return {400, "http.malformed", text};
  }
}

HttpRequest HttpRequestParser::takeRequest() { return std::move(ready_); }

int HttpRequestParser::fail(int status, std::string code, std::string reason) {
  return fail(HttpParseError{status, std::move(code), std::move(reason)});
}

int HttpRequestParser::fail(HttpParseError error) {
  if (!failed_) error_ = std::move(error);
  failed_ = true;
  return HPE_USER;
}

int HttpRequestParser::failBodyTooLarge() {
  return fail(413, "http.body_too_large",
              "request body exceeds " + std::to_string(limits_.maxBodyBytes) + " bytes");
}

bool HttpRequestParser::addHeaderBytes(size_t count) {
  headerBytes_ += count;
  if (headerBytes_ <= limits_.maxHeaderBytes) return true;
  fail(431, "http.header_too_large",
       "request header block exceeds " + std::to_string(limits_.maxHeaderBytes) + " bytes");
  return false;
}

int HttpRequestParser::onMessageBegin(llhttp_t* p) {
  auto& s = self(p);
  s.current_ = HttpRequest{};
  s.current_.headers.reserve(16);
  s.inMessage_ = true;
  s.inHeaders_ = true;
  s.lastWasValue_ = false;
  s.headerBytes_ = 0;
  s.chunkExtensionBytes_ = 0;
  s.version_.clear();
  return 0;
}

int HttpRequestParser::onUrl(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (!s.addHeaderBytes(length)) return HPE_USER;
  s.current_.target.append(at, length);
  // A line that ends right after the target is HTTP/0.9 ("GET /"): llhttp would wait for the
  // byte after the line end before going on. The byte after the span is what ended it when
  // it lies in this input (at the input's end, the target may go on in the next bytes).
  const char* end = at + length;
  if (end < s.inputEnd_ && (*end == '\r' || *end == '\n')) {
    return s.fail(400, "http.malformed", "request line without an HTTP version (HTTP/0.9)");
  }
  return 0;
}

int HttpRequestParser::onVersion(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (!s.addHeaderBytes(length)) return HPE_USER;
  s.version_.append(at, length);
  return 0;
}

int HttpRequestParser::onVersionComplete(llhttp_t* p) {
  // llhttp lets 0.9, 1.0, 1.1 and 2.0 (an HTTP/2 preface) through: refuse all but 1.x at the
  // end of the request line, not after a header block that may never come.
  if (llhttp_get_http_major(p) == 1) return 0;
  return self(p).fail(unsupportedVersion());
}

int HttpRequestParser::onHeaderField(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (!s.addHeaderBytes(length + (s.lastWasValue_ ? kPerHeaderOverhead : 0))) return HPE_USER;
  auto& headers = s.current_.headers;
  if (s.lastWasValue_ || headers.empty()) {
    if (headers.size() == kMaxHeaderCount) {
      return s.fail(431, "http.too_many_headers",
                    "more than " + std::to_string(kMaxHeaderCount) + " header fields");
    }
    headers.emplace_back();
  }
  s.lastWasValue_ = false;
  std::string& name = headers.back().first;
  for (size_t i = 0; i < length; ++i) {
    const auto c = static_cast<unsigned char>(at[i]);
    if (!isTokenChar(c)) return s.fail(400, "http.malformed", "invalid character in header name");
    name.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c | 0x20 : c));  // ASCII only
  }
  return 0;
}

int HttpRequestParser::onHeaderValue(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (!s.addHeaderBytes(length)) return HPE_USER;
  if (s.current_.headers.empty()) s.current_.headers.emplace_back();
  s.current_.headers.back().second.append(at, length);
  s.lastWasValue_ = true;
  return 0;
}

int HttpRequestParser::onHeadersComplete(llhttp_t* p) {
  auto& s = self(p);
  s.inHeaders_ = false;
  HttpRequest& r = s.current_;
  for (auto& header : r.headers) trimTrailingSpace(header.second);
  r.method = llhttp_method_name(static_cast<llhttp_method_t>(llhttp_get_method(p)));
  r.versionMajor = llhttp_get_http_major(p);
  r.versionMinor = llhttp_get_http_minor(p);
  r.keepAlive = llhttp_should_keep_alive(p) != 0;
  r.upgrade = llhttp_get_upgrade(p) != 0;
  if (r.versionMajor != 1) return s.fail(unsupportedVersion());
  if (!s.splitTarget()) return s.fail(400, "http.bad_target", "invalid request target");
  if ((p->flags & F_CONTENT_LENGTH) && p->content_length > s.limits_.maxBodyBytes) {
    return s.failBodyTooLarge();
  }
  const std::string* expect = r.header("expect");
  s.expectContinue_ = expect != nullptr && *expect == "100-continue" && r.versionMinor >= 1;
  return 0;
}

bool HttpRequestParser::splitTarget() {
  HttpRequest& r = current_;
  std::string_view target = r.target;
  if (target == "*") {
    r.path = "*";
    return r.method == "OPTIONS";
  }
  // absolute-form (RFC 9112 3.2.2): drop scheme and authority.
  if (size_t scheme = target.find("://"); scheme != std::string_view::npos && target[0] != '/') {
    size_t slash = target.find('/', scheme + 3);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (target.empty() || target[0] != '/' || target.find('#') != std::string_view::npos) {
    return false;
  }
  size_t question = target.find('?');
  r.path = std::string(target.substr(0, question));
  r.query = question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
  // Decoding is the router's job; here only check it would succeed (no allocation for the
  // common path without escapes).
  return r.path.find('%') == std::string::npos || percentDecode(r.path).has_value();
}

int HttpRequestParser::onChunkHeader(llhttp_t* p) {
  // The chunk line is complete and p->content_length is its size; llhttp would now wait for
  // that many bytes. Refuse here what could never be read: a size no body can have, or one
  // past what is left of the body limit.
  auto& s = self(p);
  if (p->content_length > kMaxChunkSize) {
    return s.fail(400, "http.bad_chunk_size", "chunk size larger than 2^63-1");
  }
  size_t left = s.limits_.maxBodyBytes - std::min(s.current_.body.size(), s.limits_.maxBodyBytes);
  return p->content_length > left ? s.failBodyTooLarge() : 0;
}

// Extension names and values arrive as spans (in pieces at input ends); each completed one
// also took its separator (';' or '='), counted by onChunkExtensionEnd: ";;;;" counts too.
int HttpRequestParser::onChunkExtension(llhttp_t* p, const char*, size_t length) {
  return self(p).countChunkExtensionBytes(length);
}

int HttpRequestParser::onChunkExtensionEnd(llhttp_t* p) {
  return self(p).countChunkExtensionBytes(1);
}

int HttpRequestParser::countChunkExtensionBytes(size_t count) {
  chunkExtensionBytes_ += count;
  if (chunkExtensionBytes_ <= kMaxChunkExtensionBytes) return 0;
  return fail(413, "http.chunk_extensions_too_large",
              "chunk extensions exceed " + std::to_string(kMaxChunkExtensionBytes) + " bytes");
}

int HttpRequestParser::onBody(llhttp_t* p, const char* at, size_t length) {
  auto& s = self(p);
  if (s.current_.body.size() + length > s.limits_.maxBodyBytes) return s.failBodyTooLarge();
  s.current_.body.append(at, length);
  return 0;
}

int HttpRequestParser::onMessageComplete(llhttp_t* p) {
  auto& s = self(p);
  s.inMessage_ = false;
  s.ready_ = std::move(s.current_);
  // Upgrade requests end the HTTP stream: llhttp itself pauses with HPE_PAUSED_UPGRADE.
  return s.ready_.upgrade ? 0 : HPE_PAUSED;
}

}  // namespace tidecast::api
