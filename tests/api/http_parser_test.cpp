#include "api/http_parser.h"

#include <gtest/gtest.h>

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
  for (std::string input : {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                            "GET / HTTP/9.9\r\n\r\n", "GET /\x01 HTTP/1.1\r\n\r\n",
                            "GET relative HTTP/1.1\r\n\r\n", "GET /%zz HTTP/1.1\r\n\r\n"}) {
    HttpRequestParser parser({});
    EXPECT_EQ(parser.parse(input).state, State::kError) << input;
    EXPECT_EQ(parser.error().status / 100, 4) << input;
  }
}

TEST(HttpRequestParser, RejectsHttp2PrefaceWith505OrMalformed) {
  HttpRequestParser parser({});
  EXPECT_EQ(parser.parse("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").state, State::kError);
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
