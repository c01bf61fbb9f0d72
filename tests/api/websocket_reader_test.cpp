// WebSocketReader: framing, masking, fragmentation with control frames in between, UTF-8
// across fragments, limits and the close codes each violation maps to.
#include "api/websocket_reader.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/api/websocket_test_frames.h"

namespace tidecast::api {
namespace {

using testing::ClientFrame;
using testing::clientFrame;
using testing::closePayload;

struct Collector : WebSocketReader::Sink {
  bool onEvent(WebSocketEvent& event) override {
    events.push_back(std::move(event));
    return !stopAfterEach;
  }
  std::vector<WebSocketEvent> events;
  bool stopAfterEach = false;
};

constexpr uint8_t kCont = 0x0;
constexpr uint8_t kText = 0x1;
constexpr uint8_t kBinary = 0x2;
constexpr uint8_t kClose = 0x8;
constexpr uint8_t kPing = 0x9;

class WebSocketReaderTest : public ::testing::Test {
 protected:
  // Feeds everything; returns the failure's close code (0 when none).
  uint16_t feed(std::string_view bytes) {
    size_t used = reader_.feed(bytes, sink_);
    if (reader_.failure()) return reader_.failure()->closeCode;
    EXPECT_EQ(used, bytes.size());
    return 0;
  }

  WebSocketReader reader_{WebSocketLimits{1024, 4096}};
  Collector sink_;
};

TEST_F(WebSocketReaderTest, UnmasksATextFrame) {
  EXPECT_EQ(feed(clientFrame("Hello")), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].opcode, WsOpcode::kText);
  EXPECT_EQ(sink_.events[0].payload, "Hello");
  EXPECT_EQ(reader_.framesCompleted(), 1u);
}

TEST_F(WebSocketReaderTest, DeliversAnEmptyMessage) {
  EXPECT_EQ(feed(clientFrame("", {.opcode = kBinary})), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].opcode, WsOpcode::kBinary);
  EXPECT_EQ(sink_.events[0].payload, "");
}

TEST_F(WebSocketReaderTest, ReassemblesFragmentsWithAPingInBetween) {
  std::string bytes = clientFrame("Hel", {.opcode = kText, .fin = false}) +
                      clientFrame("ping!", {.opcode = kPing}) +
                      clientFrame("lo ", {.opcode = kCont, .fin = false, .mask = 0x01020304}) +
                      clientFrame("world", {.opcode = kCont});
  EXPECT_EQ(feed(bytes), 0);
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].opcode, WsOpcode::kPing);
  EXPECT_EQ(sink_.events[0].payload, "ping!");
  EXPECT_EQ(sink_.events[1].opcode, WsOpcode::kText);
  EXPECT_EQ(sink_.events[1].payload, "Hello world");
  EXPECT_EQ(reader_.framesCompleted(), 4u);
}

TEST_F(WebSocketReaderTest, AcceptsInputOneByteAtATime) {
  std::string bytes = clientFrame("fragmented ", {.opcode = kText, .fin = false}) +
                      clientFrame(std::string(300, 'x'), {.opcode = kCont});
  for (char c : bytes) ASSERT_EQ(feed(std::string_view(&c, 1)), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].payload, "fragmented " + std::string(300, 'x'));
}

TEST_F(WebSocketReaderTest, ReadsSixteenAndSixtyFourBitLengths) {
  WebSocketReader big(WebSocketLimits{1 << 20, 1 << 20});
  std::string medium(1000, 'm');
  std::string large(70000, 'L');
  big.feed(clientFrame(medium, {.opcode = kBinary}) + clientFrame(large, {.opcode = kBinary}),
           sink_);
  ASSERT_FALSE(big.failure());
  ASSERT_EQ(sink_.events.size(), 2u);
  EXPECT_EQ(sink_.events[0].payload, medium);
  EXPECT_EQ(sink_.events[1].payload, large);
}

TEST_F(WebSocketReaderTest, AcceptsACharacterSplitAcrossFragments) {
  const std::string euro = "\xe2\x82\xac";
  std::string bytes = clientFrame("1" + euro.substr(0, 1), {.opcode = kText, .fin = false}) +
                      clientFrame(euro.substr(1), {.opcode = kCont});
  EXPECT_EQ(feed(bytes), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].payload, "1" + euro);
}

TEST_F(WebSocketReaderTest, RejectsInvalidUtf8BeforeTheMessageEnds) {
  // The bad byte is in the first fragment: the failure must not wait for the last one.
  EXPECT_EQ(feed(clientFrame("ok\xff", {.opcode = kText, .fin = false})), ws_close::kInvalidData);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(WebSocketReaderTest, RejectsTextEndingInsideASequence) {
  EXPECT_EQ(feed(clientFrame("ab\xe2\x82")), ws_close::kInvalidData);
}

TEST_F(WebSocketReaderTest, RejectsOverlongAndSurrogateEncodings) {
  EXPECT_EQ(feed(clientFrame("\xc0\xaf")), ws_close::kInvalidData);
  WebSocketReader other;
  other.feed(clientFrame("\xed\xa0\x80"), sink_);
  ASSERT_TRUE(other.failure());
  EXPECT_EQ(other.failure()->closeCode, ws_close::kInvalidData);
}

TEST_F(WebSocketReaderTest, BinaryIsNotCheckedForUtf8) {
  EXPECT_EQ(feed(clientFrame("\xff\xfe", {.opcode = kBinary})), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
}

TEST_F(WebSocketReaderTest, RejectsAnUnmaskedFrame) {
  EXPECT_EQ(feed(clientFrame("hi", {.masked = false})), ws_close::kProtocolError);
  EXPECT_NE(reader_.failure()->reason.find("masked"), std::string::npos);
}

TEST_F(WebSocketReaderTest, RejectsReservedBitsAndUnknownOpcodes) {
  EXPECT_EQ(feed(clientFrame("x", {.rsv = 4})), ws_close::kProtocolError);
  WebSocketReader other;
  other.feed(clientFrame("x", {.opcode = 0x3}), sink_);
  EXPECT_EQ(other.failure()->closeCode, ws_close::kProtocolError);
  WebSocketReader control;
  control.feed(clientFrame("x", {.opcode = 0xB}), sink_);
  EXPECT_EQ(control.failure()->closeCode, ws_close::kProtocolError);
}

TEST_F(WebSocketReaderTest, RejectsContinuationWithoutAMessage) {
  EXPECT_EQ(feed(clientFrame("x", {.opcode = kCont})), ws_close::kProtocolError);
}

TEST_F(WebSocketReaderTest, RejectsANewMessageInsideAFragmentedOne) {
  EXPECT_EQ(feed(clientFrame("a", {.opcode = kText, .fin = false}) + clientFrame("b")),
            ws_close::kProtocolError);
}

TEST_F(WebSocketReaderTest, RejectsFragmentedAndOversizedControlFrames) {
  EXPECT_EQ(feed(clientFrame("p", {.opcode = kPing, .fin = false})), ws_close::kProtocolError);
  WebSocketReader other;
  other.feed(clientFrame(std::string(126, 'p'), {.opcode = kPing}), sink_);
  EXPECT_EQ(other.failure()->closeCode, ws_close::kProtocolError);
}

TEST_F(WebSocketReaderTest, RejectsAFrameOverTheLimitFromItsHeader) {
  // Only the header is fed: the limit applies before any payload is buffered.
  std::string frame = clientFrame(std::string(2000, 'x'), {.opcode = kBinary});
  EXPECT_EQ(feed(frame.substr(0, 8)), ws_close::kTooBig);
}

TEST_F(WebSocketReaderTest, RejectsAMessageOverTheLimitAcrossFragments) {
  // The fifth 1000-byte fragment takes the message past 4096.
  std::string bytes = clientFrame(std::string(1000, 'x'), {.opcode = kText, .fin = false});
  for (int i = 0; i < 4; ++i)
    bytes += clientFrame(std::string(1000, 'x'), {.opcode = kCont, .fin = false});
  EXPECT_EQ(feed(bytes), ws_close::kTooBig);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(WebSocketReaderTest, RejectsALengthWithTheTopBitSet) {
  std::string frame("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x01\x01\x02\x03\x04", 14);
  EXPECT_EQ(feed(frame), ws_close::kProtocolError);
}

TEST_F(WebSocketReaderTest, ParsesCloseCodeAndReason) {
  EXPECT_EQ(feed(clientFrame(closePayload(1000, "bye"), {.opcode = kClose})), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].opcode, WsOpcode::kClose);
  EXPECT_EQ(sink_.events[0].closeCode, 1000);
  EXPECT_EQ(sink_.events[0].payload, "bye");
}

TEST_F(WebSocketReaderTest, AnEmptyCloseReportsNoStatus) {
  EXPECT_EQ(feed(clientFrame("", {.opcode = kClose})), 0);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].closeCode, ws_close::kNoStatus);
}

TEST_F(WebSocketReaderTest, RejectsBadClosePayloads) {
  struct Case {
    std::string payload;
    uint16_t expected;
  };
  const Case cases[] = {
      {"\x03", ws_close::kProtocolError},              // one byte
      {closePayload(1005), ws_close::kProtocolError},  // reserved, never sent
      {closePayload(999), ws_close::kProtocolError},   // below the range
      {closePayload(2999), ws_close::kProtocolError},  // unassigned
      {closePayload(5000), ws_close::kProtocolError},  // past the range
      {closePayload(1000, "\xff"), ws_close::kInvalidData},
  };
  for (const Case& c : cases) {
    WebSocketReader reader;
    reader.feed(clientFrame(c.payload, {.opcode = kClose}), sink_);
    ASSERT_TRUE(reader.failure()) << c.payload.size();
    EXPECT_EQ(reader.failure()->closeCode, c.expected);
  }
  WebSocketReader app;
  app.feed(clientFrame(closePayload(4000, "app"), {.opcode = kClose}), sink_);
  EXPECT_FALSE(app.failure());
}

TEST_F(WebSocketReaderTest, RefusesEverythingAfterAFailure) {
  EXPECT_EQ(feed(clientFrame("x", {.masked = false})), ws_close::kProtocolError);
  EXPECT_EQ(reader_.feed(clientFrame("valid"), sink_), 0u);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(WebSocketReaderTest, StopsWhenTheSinkSaysSo) {
  sink_.stopAfterEach = true;
  std::string first = clientFrame("one");
  std::string bytes = first + clientFrame("two");
  EXPECT_EQ(reader_.feed(bytes, sink_), first.size());
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(reader_.feed(std::string_view(bytes).substr(first.size()), sink_),
            bytes.size() - first.size());
  EXPECT_EQ(sink_.events.back().payload, "two");
}

TEST_F(WebSocketReaderTest, NewLimitsApplyToTheNextFrame) {
  reader_.setLimits({10, 10});
  EXPECT_EQ(feed(clientFrame(std::string(11, 'x'))), ws_close::kTooBig);
}

}  // namespace
}  // namespace tidecast::api
