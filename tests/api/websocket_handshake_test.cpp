// The opening handshake checks and Sec-WebSocket-Accept; server frame encoding.
#include "api/websocket_handshake.h"

#include <gtest/gtest.h>

#include "api/websocket_frame.h"

namespace tidecast::api {
namespace {

HttpRequest upgradeRequest() {
  HttpRequest r;
  r.method = "GET";
  r.path = "/ws";
  r.upgrade = true;
  r.headers = {{"host", "x"},
               {"upgrade", "websocket"},
               {"connection", "Upgrade"},
               {"sec-websocket-version", "13"},
               {"sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  return r;
}

void setHeader(HttpRequest& r, const std::string& name, const std::string& value) {
  for (auto& [key, v] : r.headers) {
    if (key == name) {
      v = value;
      return;
    }
  }
  r.headers.emplace_back(name, value);
}

void dropHeader(HttpRequest& r, const std::string& name) {
  std::erase_if(r.headers, [&](const auto& h) { return h.first == name; });
}

std::string headerOf(const WebSocketHandshake& h, std::string_view name) {
  for (const auto& [key, value] : h.headers) {
    if (key == name) return value;
  }
  return {};
}

TEST(WebSocketHandshake, AcceptMatchesTheRfcExample) {
  EXPECT_EQ(webSocketAccept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, AcceptsAValidRequest) {
  WebSocketHandshake h = checkWebSocketHandshake(upgradeRequest());
  ASSERT_TRUE(h.ok) << h.message;
  EXPECT_EQ(h.status, 101);
  EXPECT_EQ(headerOf(h, "Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(headerOf(h, "Upgrade"), "websocket");
  EXPECT_EQ(headerOf(h, "Connection"), "Upgrade");
}

TEST(WebSocketHandshake, AcceptsTokenListsInAnyCase) {
  HttpRequest r = upgradeRequest();
  setHeader(r, "connection", "keep-alive, UPGRADE");
  setHeader(r, "upgrade", "WebSocket");
  EXPECT_TRUE(checkWebSocketHandshake(r).ok);
}

TEST(WebSocketHandshake, WrongVersionIs426WithTheSupportedVersion) {
  HttpRequest r = upgradeRequest();
  setHeader(r, "sec-websocket-version", "8");
  WebSocketHandshake h = checkWebSocketHandshake(r);
  EXPECT_FALSE(h.ok);
  EXPECT_EQ(h.status, 426);
  EXPECT_EQ(h.code, "ws.unsupported_version");
  EXPECT_EQ(headerOf(h, "Sec-WebSocket-Version"), "13");
  dropHeader(r, "sec-websocket-version");
  EXPECT_EQ(checkWebSocketHandshake(r).status, 426);
}

TEST(WebSocketHandshake, PlainGetIs426UpgradeRequired) {
  HttpRequest r = upgradeRequest();
  dropHeader(r, "upgrade");
  WebSocketHandshake h = checkWebSocketHandshake(r);
  EXPECT_EQ(h.status, 426);
  EXPECT_EQ(h.code, "ws.upgrade_required");
  EXPECT_EQ(headerOf(h, "Upgrade"), "websocket");
}

TEST(WebSocketHandshake, MissingOrMalformedKeyIs400) {
  HttpRequest r = upgradeRequest();
  dropHeader(r, "sec-websocket-key");
  EXPECT_EQ(checkWebSocketHandshake(r).status, 400);
  for (const char* key : {"short==", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25j!Q==",
                          "dGhlIHNhbXBsZSBub25jZQ=x", "dGhlIHNhbXBsZSBub25jZQdGhl"}) {
    setHeader(r, "sec-websocket-key", key);
    WebSocketHandshake h = checkWebSocketHandshake(r);
    EXPECT_EQ(h.status, 400) << key;
    EXPECT_EQ(h.code, "ws.bad_handshake") << key;
  }
}

TEST(WebSocketHandshake, RequiresGetHttp11AndTheConnectionToken) {
  HttpRequest post = upgradeRequest();
  post.method = "POST";
  EXPECT_EQ(checkWebSocketHandshake(post).status, 400);
  HttpRequest old = upgradeRequest();
  old.versionMinor = 0;
  EXPECT_EQ(checkWebSocketHandshake(old).status, 400);
  HttpRequest noToken = upgradeRequest();
  setHeader(noToken, "connection", "keep-alive");
  EXPECT_EQ(checkWebSocketHandshake(noToken).status, 400);
}

TEST(WebSocketFrameEncoding, HeaderLengthsFollowThePayloadSize) {
  uint8_t out[10];
  EXPECT_EQ(encodeFrameHeader(WsOpcode::kText, 125, out), 2u);
  EXPECT_EQ(out[0], 0x81);
  EXPECT_EQ(out[1], 125);
  EXPECT_EQ(encodeFrameHeader(WsOpcode::kBinary, 126, out), 4u);
  EXPECT_EQ(out[1], 126);
  EXPECT_EQ(out[3], 126);
  EXPECT_EQ(encodeFrameHeader(WsOpcode::kBinary, 65535, out), 4u);
  EXPECT_EQ(encodeFrameHeader(WsOpcode::kBinary, 65536, out), 10u);
  EXPECT_EQ(out[1], 127);
  EXPECT_EQ(out[7], 1);  // 0x00 00 00 00 00 01 00 00
}

TEST(WebSocketFrameEncoding, SmallFramesAreOneSliceLargeOnesShareThePayload) {
  WebSocketFrame small = WebSocketFrame::text("hi");
  ASSERT_EQ(small.slices().size(), 1u);
  EXPECT_EQ(small.slices()[0].view(), std::string_view("\x81\x02hi", 4));
  core::Slice payload = core::Slice::fromString(std::string(100000, 'p'));
  WebSocketFrame large = WebSocketFrame::fromSlices(WsOpcode::kBinary, {payload});
  ASSERT_EQ(large.slices().size(), 2u);
  EXPECT_EQ(large.slices()[1].data(), payload.data()) << "the payload must not be copied";
  EXPECT_EQ(large.size(), 10u + 100000u);
}

TEST(WebSocketFrameEncoding, CloseReasonIsCutAtACharacterBoundary) {
  std::string reason;
  for (int i = 0; i < 62; ++i) reason += "\xc3\xa9";  // 124 bytes of é
  WebSocketFrame frame = WebSocketFrame::close(1000, reason);
  std::string_view bytes = frame.slices()[0].view();
  ASSERT_EQ(static_cast<uint8_t>(bytes[1]), 2 + 122);  // 61 characters do not fit in 123
  EXPECT_EQ(bytes.substr(2, 2), std::string_view("\x03\xe8", 2));
  EXPECT_EQ(WebSocketFrame::close(ws_close::kNoStatus, "x").size(), 2u);
}

TEST(WebSocketFrameEncoding, ValidCloseCodes) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}) {
    EXPECT_TRUE(isValidCloseCode(code)) << code;
  }
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000}) {
    EXPECT_FALSE(isValidCloseCode(code)) << code;
  }
}

}  // namespace
}  // namespace tidecast::api
