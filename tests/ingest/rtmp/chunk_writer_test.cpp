#include "ingest/rtmp/chunk_writer.h"

#include <gtest/gtest.h>

#include <string>

#include "ingest/rtmp/chunk_reader.h"
#include "tests/ingest/rtmp/rtmp_test_util.h"

namespace tidecast::ingest::rtmp {
namespace {

using rtmptest::be32;
using rtmptest::flatten;
using rtmptest::fmt0;
using rtmptest::fmt3;
using rtmptest::readAll;

bool inside(const core::Slice& part, const core::Slice& whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

TEST(RtmpChunkWriter, WritesOneFmt0ChunkForASmallMessage) {
  ChunkWriter writer;
  core::SliceList out;
  writer.writeMessage(3, kMsgAmf0Command, 0x01020304, 0x0A0B0C, {core::Slice::copyOf("hello")},
                      out);
  std::string expected =
      std::string("\x03\x0A\x0B\x0C\x00\x00\x05\x14\x04\x03\x02\x01", 12) + "hello";
  EXPECT_EQ(flatten(out), expected);
  EXPECT_EQ(out.size(), 2u);
}

TEST(RtmpChunkWriter, UsesOneTwoAndThreeByteBasicHeaders) {
  ChunkWriter writer;
  for (uint32_t csid : {2u, 63u, 64u, 319u, 320u, 65599u}) {
    core::SliceList out;
    writer.writeMessage(csid, kMsgAudio, 1, 7, {core::Slice::copyOf("x")}, out);
    EXPECT_EQ(flatten(out), fmt0(csid, 7, 1, kMsgAudio, 1) + "x") << csid;
  }
}

TEST(RtmpChunkWriter, SplitsAtTheChunkSizeWithFmt3Continuations) {
  ChunkWriter writer(4);
  core::SliceList out;
  writer.writeMessage(5, kMsgVideo, 1, 40, {core::Slice::copyOf("abcdefghij")}, out);
  EXPECT_EQ(flatten(out),
            fmt0(5, 40, 10, kMsgVideo, 1) + "abcd" + fmt3(5) + "efgh" + fmt3(5) + "ij");
}

TEST(RtmpChunkWriter, RepeatsExtendedTimestampInFmt3Chunks) {
  ChunkWriter writer(4);
  core::SliceList out;
  writer.writeMessage(5, kMsgVideo, 1, 0xFFFFFF, {core::Slice::copyOf("abcdef")}, out);
  EXPECT_EQ(flatten(out),
            fmt0(5, 0xFFFFFF, 6, kMsgVideo, 1) + "abcd" + fmt3(5) + be32(0xFFFFFF) + "ef");
}

TEST(RtmpChunkWriter, WritesAnEmptyMessageAsOneHeader) {
  ChunkWriter writer;
  core::SliceList out;
  writer.writeMessage(3, kMsgAmf0Data, 1, 0, {}, out);
  EXPECT_EQ(flatten(out), fmt0(3, 0, 0, kMsgAmf0Data, 1));
}

TEST(RtmpChunkWriter, SubSlicesThePayloadWithoutCopying) {
  ChunkWriter writer(100);
  core::Slice first = core::Slice::copyOf(std::string(250, 'a'));
  core::Slice second = core::Slice::copyOf(std::string(130, 'b'));
  core::SliceList out;
  writer.writeMessage(6, kMsgVideo, 1, 0xFFFFFFF0, {first, second}, out);

  core::Slice headerBlock = out[0];
  size_t payloadBytes = 0;
  size_t headerSlices = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const core::Slice& slice = out[i];
    if (inside(slice, first) || inside(slice, second)) {
      EXPECT_LE(slice.size(), 100u);
      payloadBytes += slice.size();
    } else {
      ++headerSlices;
      // Every header is a view of the message's one header block: 18 bytes of fmt 0 header
      // with extended timestamp, then the 5-byte fmt 3 header all continuations share.
      EXPECT_GE(slice.data(), headerBlock.data()) << i;
      EXPECT_LE(slice.data() + slice.size(), headerBlock.data() + 12 + 4 + 5) << i;
    }
  }
  EXPECT_EQ(payloadBytes, 380u);
  EXPECT_EQ(headerSlices, 4u);           // 380 bytes in 100-byte chunks
  EXPECT_EQ(headerBlock.useCount(), 5);  // the 4 header slices and `headerBlock`: one block
  // The chunk boundary at 200 falls inside `first`; 200..300 straddles both slices.
  ChunkReader reader;
  auto result = readAll(reader, fmt0(2, 0, 4, kMsgSetChunkSize, 0) + be32(100) + flatten(out));
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 2u);
  EXPECT_EQ(result.messages[1].payload.view(), std::string(250, 'a') + std::string(130, 'b'));
  EXPECT_EQ(result.messages[1].timestamp, 0xFFFFFFF0u);
}

TEST(RtmpChunkWriter, OutputDependsOnlyOnTheMessageAndChunkSize) {
  // No header compression: the same message chunks identically whatever came before.
  ChunkWriter writer;
  core::Slice payload = core::Slice::copyOf(std::string(300, 'p'));
  core::SliceList alone;
  writer.writeMessage(6, kMsgVideo, 1, 80, {payload}, alone);
  core::SliceList after;
  writer.writeMessage(6, kMsgVideo, 1, 40, {payload}, after);
  size_t firstSize = after.size();
  writer.writeMessage(6, kMsgVideo, 1, 80, {payload}, after);
  EXPECT_EQ(flatten(core::SliceList(after.begin() + static_cast<long>(firstSize), after.end())),
            flatten(alone));
}

TEST(RtmpChunkWriter, WriteSetChunkSizeSendsWithTheOldSizeThenSwitches) {
  ChunkWriter writer;
  core::SliceList out;
  writer.writeSetChunkSize(4096, out);
  EXPECT_EQ(writer.chunkSize(), 4096u);
  EXPECT_EQ(flatten(out), fmt0(2, 0, 4, kMsgSetChunkSize, 0) + be32(4096));
}

TEST(RtmpControlMessages, BuildsTheSpecPayloads) {
  EXPECT_EQ(makeSetChunkSize(4096).view(), be32(4096));
  EXPECT_EQ(makeAbort(6).view(), be32(6));
  EXPECT_EQ(makeAcknowledgement(123456).view(), be32(123456));
  EXPECT_EQ(makeWindowAckSize(2500000).view(), be32(2500000));
  EXPECT_EQ(makeSetPeerBandwidth(2500000, BandwidthLimit::kDynamic).view(), be32(2500000) + "\x02");
  EXPECT_EQ(makeUserControl(UserControlEvent::kStreamBegin, 1).view(),
            std::string("\x00\x00", 2) + be32(1));
  EXPECT_EQ(makeUserControl(UserControlEvent::kStreamEof, 1).view(),
            std::string("\x00\x01", 2) + be32(1));
  EXPECT_EQ(makeUserControl(UserControlEvent::kStreamDry, 1).view(),
            std::string("\x00\x02", 2) + be32(1));
  EXPECT_EQ(makeUserControl(UserControlEvent::kPingRequest, 99).view(),
            std::string("\x00\x06", 2) + be32(99));
  EXPECT_EQ(makeUserControl(UserControlEvent::kPingResponse, 99).view(),
            std::string("\x00\x07", 2) + be32(99));
}

TEST(RtmpControlMessages, ParsesUserControlEvents) {
  auto buffer = parseUserControl(makeSetBufferLength(1, 3000));
  ASSERT_TRUE(buffer.has_value());
  EXPECT_EQ(buffer->event, UserControlEvent::kSetBufferLength);
  EXPECT_EQ(buffer->value, 1u);
  EXPECT_EQ(buffer->bufferLengthMs, 3000u);

  auto ping = parseUserControl(makeUserControl(UserControlEvent::kPingRequest, 42));
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(ping->event, UserControlEvent::kPingRequest);
  EXPECT_EQ(ping->value, 42u);

  EXPECT_FALSE(parseUserControl(core::Slice::copyOf(std::string("\x00\x03\x00\x00\x00\x01", 6))));
  EXPECT_FALSE(parseUserControl(core::Slice::copyOf(std::string("\x00\x06\x00", 3))));
  EXPECT_EQ(controlValue(makeWindowAckSize(5000)), 5000u);
  EXPECT_FALSE(controlValue(core::Slice::copyOf("abc")));
}

TEST(RtmpControlMessages, WriteControlUsesChunkStream2AndStream0) {
  ChunkWriter writer;
  core::SliceList out;
  writer.writeControl(kMsgWindowAckSize, makeWindowAckSize(2500000), out);
  ChunkReader reader;
  auto result = readAll(reader, flatten(out));
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 1u);
  EXPECT_EQ(result.messages[0].chunkStreamId, 2u);
  EXPECT_EQ(result.messages[0].streamId, 0u);
  EXPECT_EQ(result.messages[0].typeId, kMsgWindowAckSize);
  EXPECT_EQ(controlValue(result.messages[0].payload), 2500000u);
}

}  // namespace
}  // namespace tidecast::ingest::rtmp
