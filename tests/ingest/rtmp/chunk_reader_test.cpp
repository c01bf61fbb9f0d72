#include "ingest/rtmp/chunk_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ingest/rtmp/chunk_writer.h"
#include "tests/ingest/rtmp/rtmp_test_util.h"

namespace tidecast::ingest::rtmp {
namespace {

using rtmptest::be32;
using rtmptest::flatten;
using rtmptest::fmt0;
using rtmptest::fmt1;
using rtmptest::fmt2;
using rtmptest::fmt3;
using rtmptest::readAll;

std::string pattern(size_t size, uint32_t seed) {
  std::string out(size, '\0');
  std::mt19937 random(seed);
  for (auto& byte : out) byte = static_cast<char>(random());
  return out;
}

std::string chunked(const ChunkWriter& writer, uint32_t csid, uint8_t type, uint32_t streamId,
                    uint32_t timestamp, const std::string& payload) {
  core::SliceList out;
  writer.writeMessage(csid, type, streamId, timestamp, {core::Slice::copyOf(payload)}, out);
  return flatten(out);
}

std::string setChunkSize(uint32_t size) { return fmt0(2, 0, 4, kMsgSetChunkSize, 0) + be32(size); }

// ---- round trips ---------------------------------------------------------------------------

TEST(RtmpChunkReader, RoundTripsWriterOutputForManySizesChunkSizesAndStreams) {
  const uint32_t chunkSizes[] = {1, 2, 127, 128, 129, 1000, 4096, 65536};
  const uint32_t csids[] = {2, 63, 64, 319, 320, 65599};
  const uint32_t timestamps[] = {0, 40, 0xFFFFFE, 0xFFFFFF, 0x1000000, 0xFFFFFFFF};
  for (uint32_t chunkSize : chunkSizes) {
    std::vector<size_t> sizes = {0, 1, 2, 3 * chunkSize + 7};
    for (size_t around :
         {size_t{chunkSize} - 1, size_t{chunkSize}, size_t{chunkSize} + 1, 2 * size_t{chunkSize}}) {
      sizes.push_back(around);
    }
    if (chunkSize >= 128) sizes.push_back(70000);
    ChunkWriter writer;
    core::SliceList control;
    writer.writeSetChunkSize(chunkSize, control);
    std::string stream = flatten(control);
    std::vector<RtmpMessage> expected;
    uint32_t seed = 1;
    for (uint32_t csid : csids) {
      for (size_t size : sizes) {
        uint32_t timestamp = timestamps[seed % std::size(timestamps)];
        auto type = static_cast<uint8_t>(seed % 2 ? kMsgVideo : kMsgAudio);
        std::string payload = pattern(size, seed++);
        stream += chunked(writer, csid, type, seed, timestamp, payload);
        expected.push_back({csid, type, seed, timestamp, core::Slice::copyOf(payload)});
      }
    }
    for (size_t piece : {size_t{0}, size_t{1}, size_t{7}, size_t{1500}}) {
      if (piece == 1 && stream.size() > 200000) continue;
      SCOPED_TRACE("chunk size " + std::to_string(chunkSize) + ", piece " + std::to_string(piece));
      ChunkReader reader;
      auto result = readAll(reader, stream, piece);
      ASSERT_TRUE(result.status.ok()) << result.status.error().message;
      ASSERT_EQ(result.messages.size(), expected.size() + 1);
      EXPECT_EQ(result.messages[0].typeId, kMsgSetChunkSize);  // passed up as well
      EXPECT_EQ(reader.chunkSize(), chunkSize);
      for (size_t i = 0; i < expected.size(); ++i) {
        const RtmpMessage& got = result.messages[i + 1];
        ASSERT_EQ(got.chunkStreamId, expected[i].chunkStreamId) << i;
        ASSERT_EQ(got.typeId, expected[i].typeId) << i;
        ASSERT_EQ(got.streamId, expected[i].streamId) << i;
        ASSERT_EQ(got.timestamp, expected[i].timestamp) << i;
        ASSERT_EQ(got.payload.view(), expected[i].payload.view()) << i;
      }
      EXPECT_EQ(reader.bytesReceived(), stream.size());
      EXPECT_EQ(reader.pendingBytes(), 0u);
    }
  }
}

TEST(RtmpChunkReader, ReassemblesInterleavedChunkStreams) {
  ChunkWriter writer;
  std::string video = pattern(300, 1);
  std::string audio = pattern(200, 2);
  core::SliceList videoChunks;
  core::SliceList audioChunks;
  writer.writeMessage(6, kMsgVideo, 1, 0, {core::Slice::copyOf(video)}, videoChunks);
  writer.writeMessage(4, kMsgAudio, 1, 0, {core::Slice::copyOf(audio)}, audioChunks);
  // header+payload pairs: video 3 chunks, audio 2; send v a v a v.
  ASSERT_EQ(videoChunks.size(), 6u);
  ASSERT_EQ(audioChunks.size(), 4u);
  std::string bytes;
  for (size_t i = 0; i < 3; ++i) {
    bytes += flatten({videoChunks[2 * i], videoChunks[2 * i + 1]});
    if (i < 2) bytes += flatten({audioChunks[2 * i], audioChunks[2 * i + 1]});
  }
  ChunkReader reader;
  auto result = readAll(reader, bytes, 3);
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 2u);
  EXPECT_EQ(result.messages[0].payload.view(), audio);
  EXPECT_EQ(result.messages[1].payload.view(), video);
}

TEST(RtmpChunkReader, PayloadIsOneBlockOfItsOwn) {
  ChunkWriter writer(128);
  std::string payload = pattern(5000, 3);
  std::string bytes = chunked(writer, 6, kMsgVideo, 1, 0, payload);
  ChunkReader reader;
  RtmpMessage message;
  ASSERT_TRUE(reader.feed(bytes, [&](RtmpMessage&& m) { message = std::move(m); }).ok());
  EXPECT_EQ(message.payload.view(), payload);
  EXPECT_EQ(message.payload.useCount(), 1);  // nothing else (no growing buffer) holds the block
  const char* begin = bytes.data();
  const char* data = reinterpret_cast<const char*>(message.payload.data());
  EXPECT_TRUE(data < begin || data >= begin + bytes.size());  // not a view of the input
}

TEST(RtmpChunkReader, DeliversEmptyMessages) {
  ChunkReader reader;
  auto result = readAll(reader, fmt0(3, 5, 0, kMsgAmf0Data, 1) + fmt0(3, 6, 0, kMsgAmf0Data, 1));
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 2u);
  EXPECT_TRUE(result.messages[0].payload.empty());
  EXPECT_EQ(result.messages[1].timestamp, 6u);
}

// ---- header compression -----------------------------------------------------------------------

TEST(RtmpChunkReader, AccumulatesDeltasAcrossFmt1Fmt2Fmt3LikeFfmpeg) {
  // Audio on csid 4: fmt 0 at 1000, fmt 1 (+23, new length), fmt 2 (+23), fmt 3 (+23 again),
  // then fmt 2 (+24) and fmt 3 (+24).
  std::string bytes = fmt0(4, 1000, 4, kMsgAudio, 1) + "aaaa" + fmt1(4, 23, 5, kMsgAudio) +
                      "bbbbb" + fmt2(4, 23) + "ccccc" + fmt3(4) + "ddddd" + fmt2(4, 24) + "eeeee" +
                      fmt3(4) + "fffff";
  ChunkReader reader;
  auto result = readAll(reader, bytes, 2);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message;
  ASSERT_EQ(result.messages.size(), 6u);
  const uint32_t timestamps[] = {1000, 1023, 1046, 1069, 1093, 1117};
  const char* payloads[] = {"aaaa", "bbbbb", "ccccc", "ddddd", "eeeee", "fffff"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(result.messages[i].timestamp, timestamps[i]) << i;
    EXPECT_EQ(result.messages[i].payload.view(), payloads[i]) << i;
    EXPECT_EQ(result.messages[i].streamId, 1u);
    EXPECT_EQ(result.messages[i].typeId, kMsgAudio);
  }
}

TEST(RtmpChunkReader, Fmt3AfterFmt0RepeatsTheTimestampAsDelta) {
  // Spec 5.3.1.2.4: the delta of a fmt 3 chunk following a fmt 0 is the fmt 0 timestamp.
  ChunkReader reader;
  auto result = readAll(reader, fmt0(5, 40, 2, kMsgVideo, 1) + "v1" + fmt3(5) + "v2");
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 2u);
  EXPECT_EQ(result.messages[1].timestamp, 80u);
}

TEST(RtmpChunkReader, ContinuationChunksDoNotAdvanceTheTimestamp) {
  ChunkReader reader;
  std::string payload = pattern(300, 4);
  std::string bytes = fmt0(6, 100, 300, kMsgVideo, 1) + payload.substr(0, 128) + fmt3(6) +
                      payload.substr(128, 128) + fmt3(6) + payload.substr(256) + fmt2(6, 33) +
                      std::string(100, 'x');
  auto result = readAll(reader, bytes);
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 1u);  // the second is still incomplete
  EXPECT_EQ(result.messages[0].timestamp, 100u);
  EXPECT_EQ(result.messages[0].payload.view(), payload);
  EXPECT_EQ(reader.pendingBytes(), 300u);
}

TEST(RtmpChunkReader, ToleratesFmt0And1ContinuationsThatKeepTheLength) {
  ChunkReader reader;
  std::string payload = pattern(200, 5);
  std::string bytes = fmt0(7, 10, 200, kMsgVideo, 1) + payload.substr(0, 128) +
                      fmt1(7, 10, 200, kMsgVideo) + payload.substr(128);
  auto result = readAll(reader, bytes);
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 1u);
  EXPECT_EQ(result.messages[0].timestamp, 10u);
  EXPECT_EQ(result.messages[0].payload.view(), payload);
}

TEST(RtmpChunkReader, AcceptsFmt1OnAFreshChunkStreamLikeLibrtmp) {
  // librtmp sends its first user control message (a ping response) with a fmt 1 header.
  ChunkReader reader;
  std::string ping = std::string("\x00\x07", 2) + be32(1234);
  auto result = readAll(reader, fmt1(2, 0, 6, kMsgUserControl) + ping);
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 1u);
  EXPECT_EQ(result.messages[0].streamId, 0u);
  auto control = parseUserControl(result.messages[0].payload);
  ASSERT_TRUE(control.has_value());
  EXPECT_EQ(control->event, UserControlEvent::kPingResponse);
  EXPECT_EQ(control->value, 1234u);
}

// ---- extended timestamps -----------------------------------------------------------------------

TEST(RtmpChunkReader, ReadsExtendedTimestampsWhetherOrNotFmt3RepeatsThem) {
  const uint32_t timestamp = 0x01234567;
  std::string payload = pattern(300, 6);
  for (bool repeated : {true, false}) {
    SCOPED_TRACE(repeated ? "fmt 3 repeats the extended timestamp" : "fmt 3 omits it");
    std::string ext = repeated ? be32(timestamp) : "";
    // Message 1: fmt 0 with extended timestamp, two continuations. Message 2: a fmt 3 that
    // starts a new message (delta = the extended field again), then a normal fmt 2.
    std::string bytes = fmt0(6, timestamp, 300, kMsgVideo, 1) + payload.substr(0, 128) + fmt3(6) +
                        ext + payload.substr(128, 128) + fmt3(6) + ext + payload.substr(256) +
                        fmt3(6) + ext + payload.substr(0, 128) + fmt3(6) + ext +
                        payload.substr(128, 128) + fmt3(6) + ext + payload.substr(256) +
                        fmt1(6, 40, 3, kMsgVideo) + "end";
    for (size_t piece : {size_t{0}, size_t{1}, size_t{5}}) {
      ChunkReader reader;
      auto result = readAll(reader, bytes, piece);
      ASSERT_TRUE(result.status.ok()) << result.status.error().message;
      ASSERT_EQ(result.messages.size(), 3u);
      EXPECT_EQ(result.messages[0].timestamp, timestamp);
      EXPECT_EQ(result.messages[0].payload.view(), payload);
      EXPECT_EQ(result.messages[1].timestamp, 2 * timestamp);
      EXPECT_EQ(result.messages[1].payload.view(), payload);
      EXPECT_EQ(result.messages[2].timestamp, 2 * timestamp + 40);
      EXPECT_EQ(result.messages[2].payload.view(), "end");
    }
  }
}

TEST(RtmpChunkReader, ReadsExtendedDeltasInFmt1AndFmt2) {
  ChunkReader reader;
  auto result =
      readAll(reader, fmt0(4, 1, 1, kMsgAudio, 1) + "a" + fmt1(4, 0x1000000, 1, kMsgAudio) + "b" +
                          fmt2(4, 0xFFFFFF) + "c");
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 3u);
  EXPECT_EQ(result.messages[1].timestamp, 0x1000001u);
  EXPECT_EQ(result.messages[2].timestamp, 0x2000000u);
}

TEST(RtmpChunkReader, TimestampsWrapAt32Bits) {
  ChunkReader reader;
  auto result = readAll(reader, fmt0(4, 0xFFFFFFF0, 1, kMsgAudio, 1) + "a" + fmt2(4, 0x20) + "b");
  ASSERT_TRUE(result.status.ok());
  ASSERT_EQ(result.messages.size(), 2u);
  EXPECT_EQ(result.messages[1].timestamp, 0x10u);
}

// ---- protocol control handled by the reader ----------------------------------------------------

TEST(RtmpChunkReader, AppliesSetChunkSizeMidStream) {
  ChunkWriter small(128);
  ChunkWriter large(4096);
  std::string before = pattern(1000, 7);
  std::string after = pattern(10000, 8);
  std::string bytes = chunked(small, 6, kMsgVideo, 1, 0, before) + setChunkSize(4096) +
                      chunked(large, 6, kMsgVideo, 1, 40, after);
  ChunkReader reader;
  auto result = readAll(reader, bytes, 999);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message;
  ASSERT_EQ(result.messages.size(), 3u);
  EXPECT_EQ(result.messages[0].payload.view(), before);
  EXPECT_EQ(result.messages[1].typeId, kMsgSetChunkSize);
  EXPECT_EQ(result.messages[2].payload.view(), after);
  EXPECT_EQ(reader.chunkSize(), 4096u);
}

TEST(RtmpChunkReader, AbortDiscardsThePartialMessage) {
  std::string first = pattern(1000, 9);
  std::string bytes = fmt0(6, 0, 1000, kMsgVideo, 1) + first.substr(0, 128) +
                      fmt0(2, 0, 4, kMsgAbort, 0) + be32(6) + fmt0(6, 40, 3, kMsgVideo, 1) + "new";
  ChunkReader reader;
  auto result = readAll(reader, bytes);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message;
  ASSERT_EQ(result.messages.size(), 2u);
  EXPECT_EQ(result.messages[0].typeId, kMsgAbort);
  EXPECT_EQ(result.messages[1].payload.view(), "new");
  EXPECT_EQ(result.messages[1].timestamp, 40u);
  EXPECT_EQ(reader.pendingBytes(), 0u);
}

TEST(RtmpChunkReader, CountsBytesReceivedForAcknowledgements) {
  ChunkReader reader;
  std::string bytes = fmt0(3, 0, 3, kMsgAmf0Command, 0) + "abc" + fmt0(3, 0, 10, 20, 0) + "xy";
  auto result = readAll(reader, bytes, 4);
  ASSERT_TRUE(result.status.ok());
  EXPECT_EQ(reader.bytesReceived(), bytes.size());
}

// ---- limits -----------------------------------------------------------------------------------

void expectError(const std::string& bytes, const std::string& code, ChunkLimits limits = {}) {
  for (size_t piece : {size_t{0}, size_t{1}}) {
    ChunkReader reader(limits);
    auto result = readAll(reader, bytes, piece);
    ASSERT_FALSE(result.status.ok()) << code;
    EXPECT_EQ(result.status.error().code, code);
    EXPECT_FALSE(result.status.error().message.empty());
    // Sticky: the connection is done for.
    auto again = reader.feed(fmt0(3, 0, 1, 20, 0) + "x", [](RtmpMessage&&) {});
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, code);
  }
}

TEST(RtmpChunkReader, RejectsChunkSizeAboveLimit) {
  expectError(setChunkSize(65537), "rtmp.chunk_size_too_large");
  expectError(setChunkSize(4097), "rtmp.chunk_size_too_large", {.maxChunkSize = 4096});
  ChunkReader reader;
  EXPECT_TRUE(readAll(reader, setChunkSize(65536)).status.ok());
}

TEST(RtmpChunkReader, RejectsZeroOrTopBitChunkSize) {
  expectError(setChunkSize(0), "rtmp.bad_chunk_size");
  expectError(setChunkSize(0x80000000), "rtmp.bad_chunk_size");
}

TEST(RtmpChunkReader, RejectsShortControlMessages) {
  expectError(fmt0(2, 0, 2, kMsgSetChunkSize, 0) + std::string("\x10\x00", 2),
              "rtmp.bad_control_message");
  expectError(fmt0(2, 0, 3, kMsgAbort, 0) + "abc", "rtmp.bad_control_message");
}

TEST(RtmpChunkReader, RejectsMessageAboveLimit) {
  expectError(fmt0(4, 0, 1001, kMsgAudio, 1), "rtmp.message_too_large", {.maxMessageBytes = 1000});
  ChunkReader reader({.maxMessageBytes = 1000});
  EXPECT_TRUE(readAll(reader, fmt0(4, 0, 1000, kMsgAudio, 1)).status.ok());
}

TEST(RtmpChunkReader, RejectsTooManyChunkStreams) {
  std::string bytes;
  for (uint32_t csid = 3; csid < 7; ++csid) bytes += fmt0(csid, 0, 1, kMsgAudio, 1) + "a";
  expectError(bytes, "rtmp.too_many_chunk_streams", {.maxChunkStreams = 3});
  ChunkReader reader({.maxChunkStreams = 4});
  EXPECT_TRUE(readAll(reader, bytes).status.ok());
}

TEST(RtmpChunkReader, RejectsTooManyPendingBytes) {
  // Two messages of 600 bytes, each partly received: 1200 pending > 1000.
  std::string bytes = fmt0(4, 0, 600, kMsgVideo, 1) + std::string(128, 'a') +
                      fmt0(5, 0, 600, kMsgVideo, 1) + std::string(128, 'b');
  expectError(bytes, "rtmp.pending_too_large", {.maxPendingBytes = 1000});
  ChunkReader reader({.maxPendingBytes = 1200});
  EXPECT_TRUE(readAll(reader, bytes).status.ok());
  EXPECT_EQ(reader.pendingBytes(), 1200u);
}

TEST(RtmpChunkReader, RejectsCompressedHeaderWithoutPrevious) {
  expectError(fmt2(4, 10) + "x", "rtmp.fmt_without_previous");
  expectError(fmt3(4) + "x", "rtmp.fmt_without_previous");
  expectError(fmt0(4, 0, 1, kMsgAudio, 1) + "a" + fmt3(5) + "x", "rtmp.fmt_without_previous");
}

TEST(RtmpChunkReader, RejectsLengthChangeInsideAMessage) {
  expectError(fmt0(4, 0, 300, kMsgVideo, 1) + std::string(128, 'a') + fmt1(4, 0, 200, kMsgVideo) +
                  std::string(72, 'b'),
              "rtmp.length_changed");
}

// ---- aggregate messages -----------------------------------------------------------------------

std::string subMessage(uint8_t type, const std::string& data, uint32_t timestamp,
                       bool backPointer = true) {
  std::string out = static_cast<char>(type) + rtmptest::be24(static_cast<uint32_t>(data.size())) +
                    rtmptest::be24(timestamp & 0xFFFFFF) + static_cast<char>(timestamp >> 24) +
                    std::string(3, '\0') + data;
  if (backPointer) out += be32(static_cast<uint32_t>(11 + data.size()));
  return out;
}

TEST(RtmpAggregate, SplitsIntoSubSlicesWithRebasedTimestamps) {
  std::string body = subMessage(kMsgAudio, "audio1", 0x01000000) +
                     subMessage(kMsgVideo, "video", 0x01000000) +
                     subMessage(kMsgAudio, "audio2", 0x01000017);
  RtmpMessage aggregate{5, kMsgAggregate, 1, 5000, core::Slice::copyOf(body)};
  auto split = splitAggregate(aggregate);
  ASSERT_TRUE(split.ok()) << split.error().message;
  ASSERT_EQ(split->size(), 3u);
  const auto& messages = *split;
  EXPECT_EQ(messages[0].typeId, kMsgAudio);
  EXPECT_EQ(messages[0].timestamp, 5000u);
  EXPECT_EQ(messages[0].payload.view(), "audio1");
  EXPECT_EQ(messages[1].typeId, kMsgVideo);
  EXPECT_EQ(messages[1].timestamp, 5000u);
  EXPECT_EQ(messages[2].timestamp, 5023u);
  EXPECT_EQ(messages[2].payload.view(), "audio2");
  for (const auto& message : messages) {
    EXPECT_EQ(message.streamId, 1u);
    EXPECT_EQ(message.chunkStreamId, 5u);
    // Zero copy: each payload points into the aggregate's block.
    EXPECT_GE(message.payload.data(), aggregate.payload.data());
    EXPECT_LE(message.payload.data() + message.payload.size(),
              aggregate.payload.data() + aggregate.payload.size());
  }
  EXPECT_EQ(aggregate.payload.useCount(), 4);
}

TEST(RtmpAggregate, ToleratesAMissingFinalBackPointer) {
  std::string body = subMessage(kMsgAudio, "a", 10) + subMessage(kMsgAudio, "b", 30, false);
  auto split = splitAggregate({4, kMsgAggregate, 1, 100, core::Slice::copyOf(body)});
  ASSERT_TRUE(split.ok());
  ASSERT_EQ(split->size(), 2u);
  EXPECT_EQ((*split)[1].timestamp, 120u);
}

TEST(RtmpAggregate, RejectsTruncatedSubMessages) {
  std::string good = subMessage(kMsgAudio, "abcdef", 0);
  for (size_t cut : {size_t{5}, size_t{14}, good.size() - 2}) {
    std::string body = good + good.substr(0, cut);
    auto split = splitAggregate({4, kMsgAggregate, 1, 0, core::Slice::copyOf(body)});
    ASSERT_FALSE(split.ok()) << cut;
    EXPECT_EQ(split.error().code, "rtmp.bad_aggregate");
  }
  auto empty = splitAggregate({4, kMsgAggregate, 1, 0, core::Slice()});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace tidecast::ingest::rtmp
