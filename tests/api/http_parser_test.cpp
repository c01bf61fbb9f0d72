#include "api/http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tidecast::api {
namespace {

using State = HttpRequestParser::State;

TEST(HttpRequestParser, ParsesRequestLineHeadersAndQuery) {
  HttpRequestParser parser({});
  std::string input =
      "GET /live/key/index.m3u8?_HLS_msn=5&_HLS_part=2 HTTP/1.1\r\n"
      "Host: example\r\nX-Thing:  value  \r\n\r\n";
  auto step = parser.parse(input);
  ASSERT_EQ(step.state, State::kRequest);
  EXPECT_EQ(step.consumed, input.size());
  HttpRequest request = parser.takeRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/live/key/index.m3u8");
  EXPECT_EQ(request.query, "_HLS_msn=5&_HLS_part=2");
  EXPECT_EQ(request.queryParam("_HLS_part"), "2");
  ASSERT_NE(request.header("x-thing"), nullptr);
  EXPECT_EQ(*request.header("x-thing"), "value");
  EXPECT_TRUE(request.keepAlive);
}

TEST(HttpRequestParser, StopsAfterEachPipelinedRequest) {
  HttpRequestParser parser({});
  std::string input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n";
  auto first = parser.parse(input);
  ASSERT_EQ(first.state, State::kRequest);
  EXPECT_EQ(parser.takeRequest().path, "/a");
  auto second = parser.parse(std::string_view(input).substr(first.consumed));
  ASSERT_EQ(second.state, State::kRequest);
  EXPECT_EQ(parser.takeRequest().path, "/b");
  EXPECT_EQ(first.consumed + second.consumed, input.size());
}

TEST(HttpRequestParser, AssemblesARequestFedOneByteAtATime) {
  HttpRequestParser parser({});
  std::string input = "POST /api HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t i = 0; i + 1 < input.size(); ++i) {
    auto step = parser.parse(std::string_view(&input[i], 1));
    ASSERT_EQ(step.state, State::kNeedMore) << "at byte " << i;
    EXPECT_TRUE(parser.inMessage());
  }
  ASSERT_EQ(parser.parse(std::string_view(&input.back(), 1)).state, State::kRequest);
  EXPECT_EQ(parser.takeRequest().body, "hello");
}

TEST(HttpRequestParser, DecodesChunkedBodies) {
  HttpRequestParser parser({});
  std::string input =
      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  ASSERT_EQ(parser.parse(input).state, State::kRequest);
  EXPECT_EQ(parser.takeRequest().body, "hello world");
}

TEST(HttpRequestParser, RejectsHeaderBlockOverTheLimitWith431) {
  HttpRequestParser parser({.maxHeaderBytes = 1024, .maxBodyBytes = 1024});
  std::string input = "GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n";
  ASSERT_EQ(parser.parse(input).state, State::kError);
  EXPECT_EQ(parser.error().status, 431);
  EXPECT_EQ(parser.error().code, "http.header_too_large");
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\n\r\n").state, State::kError) << "errors are final";
}

TEST(HttpRequestParser, RejectsTooManyHeaderFieldsWith431) {
  HttpRequestParser parser({.maxHeaderBytes = 1 << 20, .maxBodyBytes = 1024});
  std::string input = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) input += "X-" + std::to_string(i) + ": v\r\n";
  ASSERT_EQ(parser.parse(input + "\r\n").state, State::kError);
  EXPECT_EQ(parser.error().code, "http.too_many_headers");
}

TEST(HttpRequestParser, RejectsDeclaredBodyOverTheLimitBeforeReadingIt) {
  HttpRequestParser parser({.maxHeaderBytes = 1024, .maxBodyBytes = 10});
  ASSERT_EQ(parser.parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n").state, State::kError);
  EXPECT_EQ(parser.error().status, 413);
}

TEST(HttpRequestParser, RejectsChunkedBodyOverTheLimit) {
  HttpRequestParser parser({.maxHeaderBytes = 1024, .maxBodyBytes = 10});
  std::string input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n";
  ASSERT_EQ(parser.parse(input + "12345678\r\n").state, State::kError);
  EXPECT_EQ(parser.error().status, 413);
}

TEST(HttpRequestParser, RejectsContentLengthWithTransferEncoding) {
  HttpRequestParser parser({});
  std::string input =
      "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
  ASSERT_EQ(parser.parse(input).state, State::kError);
  EXPECT_EQ(parser.error().status, 400);
  EXPECT_EQ(parser.error().code, "http.conflicting_length");
}

TEST(HttpRequestParser, RejectsMalformedInputWith400) {
  for (std::string input :
       {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n", "GET /\x01 HTTP/1.1\r\n\r\n",
        "GET relative HTTP/1.1\r\n\r\n", "GET /%zz HTTP/1.1\r\n\r\n"}) {
    HttpRequestParser parser({});
    EXPECT_EQ(parser.parse(input).state, State::kError) << input;
    EXPECT_EQ(parser.error().status / 100, 4) << input;
  }
}

TEST(HttpRequestParser, RejectsHttp2PrefaceWith505) {
  HttpRequestParser parser({});
  EXPECT_EQ(parser.parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").state, State::kError);
  EXPECT_EQ(parser.error().status, 505);
}

// Inputs that must be refused as soon as the bytes shown have arrived: none of them may leave
// the parser waiting for more (the connection would hang until its header timeout).
struct RejectionCase {
  const char* name;
  std::string input;
  int status;
  const char* code;
};

const std::string kChunkedHead =
    "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
constexpr size_t kTestBodyLimit = 1024;

std::vector<RejectionCase> rejectionCases() {
  const std::string longExtension(kMaxChunkExtensionBytes + 1, 'e');
  return {
      // request line
      {"http09_crlf", "GET /\r\n", 400, "http.malformed"},
      {"http09_lf", "GET /index.html\n", 400, "http.malformed"},
      {"http09_then_blank_line", "GET /\r\n\r\n", 400, "http.malformed"},
      {"http09_with_query", "GET /healthz?x=1\r\n", 400, "http.malformed"},
      {"version_0_9_spelled_out", "GET / HTTP/0.9\r\n", 505, "http.version"},
      {"version_2_0", "GET / HTTP/2.0\r\n", 505, "http.version"},
      {"version_3_1", "GET / HTTP/3.1\r\n", 505, "http.version"},
      {"version_9_9", "GET / HTTP/9.9\r\n\r\n", 505, "http.version"},
      {"version_1_2", "GET / HTTP/1.2\r\n", 505, "http.version"},
      {"version_not_digits", "GET / HTTP/x.1\r\n", 400, "http.malformed"},
      {"version_two_digit_major", "GET / HTTP/11.1\r\n", 400, "http.malformed"},
      {"version_lowercase_name", "GET / http/1.1\r\n", 400, "http.malformed"},
      // chunk sizes (body limit 1024)
      {"chunk_size_2p64_minus_1", kChunkedHead + "ffffffffffffffff\r\n", 400,
       "http.bad_chunk_size"},
      {"chunk_size_2p63", kChunkedHead + "8000000000000000\r\n", 400, "http.bad_chunk_size"},
      {"chunk_size_overflows_64_bits", kChunkedHead + "10000000000000000\r\n", 400,
       "http.bad_chunk_size"},
      {"chunk_size_not_hex", kChunkedHead + "zz\r\n", 400, "http.bad_chunk_size"},
      {"chunk_size_empty", kChunkedHead + "\r\n", 400, "http.bad_chunk_size"},
      {"chunk_size_negative", kChunkedHead + "-1\r\n", 400, "http.bad_chunk_size"},
      {"chunk_size_2p63_minus_1", kChunkedHead + "7fffffffffffffff\r\n", 413,
       "http.body_too_large"},
      {"chunk_over_body_limit", kChunkedHead + "401\r\n", 413, "http.body_too_large"},
      {"chunk_over_limit_with_extension", kChunkedHead + "401;name=value\r\n", 413,
       "http.body_too_large"},
      {"chunks_adding_up_past_limit",
       kChunkedHead + "200\r\n" + std::string(0x200, 'a') + "\r\n201\r\n", 413,
       "http.body_too_large"},
      {"chunk_extension_too_long", kChunkedHead + "5;" + longExtension, 413,
       "http.chunk_extensions_too_large"},
      {"chunk_extension_value_too_long", kChunkedHead + "5;n=" + longExtension, 413,
       "http.chunk_extensions_too_large"},
      // llhttp's own errors
      {"bad_method", "G\x01T / HTTP/1.1\r\n", 400, "http.malformed"},
      {"bare_cr_in_header_value", "GET / HTTP/1.1\r\nX: a\rb\r\n", 400, "http.malformed"},
      {"control_byte_in_header_name", "GET / HTTP/1.1\r\nX\x01: v\r\n", 400, "http.malformed"},
      {"bad_content_length", "POST / HTTP/1.1\r\nContent-Length: 1x\r\n", 400, "http.malformed"},
      {"unknown_transfer_coding_only", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
       "http.malformed"},
  };
}

void PrintTo(const RejectionCase& c, std::ostream* out) { *out << c.name; }

class HttpRequestRejection : public ::testing::TestWithParam<RejectionCase> {};

TEST_P(HttpRequestRejection, AnswersAtOnceWithStatusAndCode) {
  const RejectionCase& c = GetParam();
  for (size_t piece : {c.input.size(), size_t{1}}) {  // whole, then one byte at a time
    HttpRequestParser parser({.maxHeaderBytes = 1 << 20, .maxBodyBytes = kTestBodyLimit});
    State state = State::kNeedMore;
    for (size_t at = 0; at < c.input.size() && state == State::kNeedMore; at += piece) {
      state = parser.parse(std::string_view(c.input).substr(at, piece)).state;
    }
    ASSERT_EQ(state, State::kError) << "piece=" << piece << " input: " << c.input;
    EXPECT_EQ(parser.error().status, c.status) << "piece=" << piece << " " << parser.error().reason;
    EXPECT_EQ(parser.error().code, c.code) << "piece=" << piece << " " << parser.error().reason;
  }
}

INSTANTIATE_TEST_SUITE_P(Table, HttpRequestRejection, ::testing::ValuesIn(rejectionCases()),
                         [](const auto& test) { return std::string(test.param.name); });

// (llhttp 8.1 refuses a token value followed by a further extension, ";a=b;c": 400.)
TEST(HttpRequestParser, AcceptsChunkExtensionsAndAChunkOfExactlyTheLimit) {
  HttpRequestParser parser({.maxHeaderBytes = 1024, .maxBodyBytes = kTestBodyLimit});
  std::string input = kChunkedHead + "3;a=b\r\nabc\r\n3fd;x=\"y z\";w\r\n" +
                      std::string(0x3fd, 'z') + "\r\n0\r\n\r\n";
  ASSERT_EQ(parser.parse(input).state, State::kRequest) << parser.error().reason;
  EXPECT_EQ(parser.takeRequest().body.size(), kTestBodyLimit);
}

TEST(HttpRequestParser, AcceptsAbsoluteFormTargets) {
  HttpRequestParser parser({});
  ASSERT_EQ(parser.parse("GET http://h:8080/healthz?x=1 HTTP/1.1\r\nHost: h\r\n\r\n").state,
            State::kRequest);
  HttpRequest request = parser.takeRequest();
  EXPECT_EQ(request.path, "/healthz");
  EXPECT_EQ(request.query, "x=1");
}

TEST(HttpRequestParser, Http10DefaultsToClose) {
  HttpRequestParser parser({});
  ASSERT_EQ(parser.parse("GET / HTTP/1.0\r\n\r\n").state, State::kRequest);
  EXPECT_FALSE(parser.takeRequest().keepAlive);
  HttpRequestParser keep({});
  ASSERT_EQ(keep.parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").state, State::kRequest);
  EXPECT_TRUE(keep.takeRequest().keepAlive);
}

TEST(HttpRequestParser, FlagsExpectContinueOnce) {
  HttpRequestParser parser({});
  auto step = parser.parse("PUT / HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(step.state, State::kNeedMore);
  EXPECT_TRUE(parser.takeExpectContinue());
  EXPECT_FALSE(parser.takeExpectContinue());
}

TEST(PercentDecode, DecodesAndRejectsBadEscapes) {
  EXPECT_EQ(percentDecode("a%20b%2Fc"), "a b/c");
  EXPECT_EQ(percentDecode("a+b", true), "a b");
  EXPECT_EQ(percentDecode("a+b"), "a+b");
  EXPECT_FALSE(percentDecode("%4"));
  EXPECT_FALSE(percentDecode("%zz"));
  EXPECT_FALSE(percentDecode("%00"));
}

}  // namespace
}  // namespace tidecast::api
