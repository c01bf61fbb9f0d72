#include "core/media/flv_tag.h"

#include <gtest/gtest.h>

#include "core/media/aac.h"
#include "core/media/av1.h"
#include "core/media/h264.h"
#include "core/media/hevc.h"
#include "core/media/nal_units.h"
#include "tests/core/media/media_test_util.h"
#include "tests/core/media/media_test_vectors.h"

namespace tidecast::core::media {
namespace {

namespace td = testdata;
using testutil::bytesOf;
using testutil::concat;
using testutil::errorCode;
using testutil::pointsInto;
using testutil::sliceOf;

// An Enhanced RTMP tag body: first byte, FourCC, then the rest.
Slice exTag(uint8_t first, const char (&code)[5], ByteSpan rest = {}) {
  Bytes body = {first};
  appendU32(body, fourCc(code));
  appendBytes(body, rest);
  return sliceOf(body);
}

// The HEVC IDR access unit of the 64x64 stream, length-prefixed.
Bytes hevcKeyframe() {
  Bytes out;
  AnnexBNalReader reader(td::kHevcAnnexB64x64);
  while (auto nal = reader.next()) {
    if (hevcNalType((*nal)[0]) != 20) continue;
    appendU32(out, static_cast<uint32_t>(nal->size()));
    appendBytes(out, *nal);
  }
  return out;
}

void expectZeroCopy(const MediaPacket& packet, const Slice& body, size_t headerSize) {
  EXPECT_EQ(packet.flvHeader.data(), body.data());
  EXPECT_EQ(packet.flvHeader.size(), headerSize);
  EXPECT_EQ(packet.data.data(), body.data() + headerSize);
  EXPECT_EQ(packet.data.size(), body.size() - headerSize);
  EXPECT_TRUE(pointsInto(packet.data, body));
}

TEST(FlvVideoTag, ParsesALegacyAvcSequenceHeader) {
  const Slice body = sliceOf(td::kFlvAvcSequenceHeader);
  Result<MediaPacket> packet = parseFlvVideoTag(body, 40);
  ASSERT_TRUE(packet.ok()) << packet.error().message;
  EXPECT_EQ(packet->track, TrackType::kVideo);
  EXPECT_EQ(packet->codec, Codec::kH264);
  EXPECT_EQ(packet->dts, 40);
  EXPECT_TRUE(packet->config);
  EXPECT_FALSE(packet->keyframe);
  expectZeroCopy(*packet, body, 5);
  Result<AvcConfig> config = parseAvcConfig(packet->data.span());
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(videoInfoOf(*config)->width, 64u);
}

TEST(FlvVideoTag, ParsesALegacyAvcKeyframe) {
  const Slice body = sliceOf(td::kFlvAvcKeyframe);
  Result<MediaPacket> packet = parseFlvVideoTag(body, 0);
  ASSERT_TRUE(packet.ok());
  EXPECT_TRUE(packet->keyframe);
  EXPECT_FALSE(packet->config);
  EXPECT_EQ(packet->cts, 67);
  expectZeroCopy(*packet, body, 5);
  EXPECT_TRUE(h264IsKeyframe(packet->data.span(), 4));
}

TEST(FlvVideoTag, ParsesALegacyInterFrameWithNegativeCompositionTime) {
  Bytes bytes(std::begin(td::kFlvAvcInterFrame), std::end(td::kFlvAvcInterFrame));
  Result<MediaPacket> positive = parseFlvVideoTag(sliceOf(bytes), 34);
  ASSERT_TRUE(positive.ok());
  EXPECT_EQ(positive->cts, 133);
  EXPECT_FALSE(positive->keyframe);
  bytes[2] = 0xff, bytes[3] = 0xff, bytes[4] = 0xf6;  // SI24 -10
  Result<MediaPacket> negative = parseFlvVideoTag(sliceOf(bytes), 34);
  ASSERT_TRUE(negative.ok());
  EXPECT_EQ(negative->cts, -10);
  bytes[2] = 0x80, bytes[3] = 0x00, bytes[4] = 0x00;
  EXPECT_EQ(parseFlvVideoTag(sliceOf(bytes), 34)->cts, -8388608);
}

TEST(FlvVideoTag, ParsesEndOfSequence) {
  Result<MediaPacket> packet = parseFlvVideoTag(sliceOf(td::kFlvAvcEndOfSequence), 167);
  ASSERT_TRUE(packet.ok());
  EXPECT_TRUE(packet->endOfSequence);
  EXPECT_FALSE(packet->keyframe);
  EXPECT_TRUE(packet->data.empty());
}

TEST(FlvVideoTag, ParsesLegacyHevcCodecIdTwelve) {
  const Bytes body =
      concat({std::initializer_list<uint8_t>{0x1c, 0x00, 0x00, 0x00, 0x00}, td::kHvcC1280x720Main});
  Result<MediaPacket> packet = parseFlvVideoTag(sliceOf(body), 0);
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(packet->codec, Codec::kHevc);
  EXPECT_TRUE(packet->config);
  EXPECT_TRUE(parseHevcConfig(packet->data.span()).ok());
}

TEST(FlvVideoTag, ParsesEnhancedHevcSequenceStart) {
  const Slice body = exTag(0x90, "hvc1", td::kHvcC1280x720Main);
  Result<MediaPacket> packet = parseFlvVideoTag(body, 0);
  ASSERT_TRUE(packet.ok()) << packet.error().message;
  EXPECT_EQ(packet->codec, Codec::kHevc);
  EXPECT_TRUE(packet->config);
  EXPECT_FALSE(packet->keyframe);
  expectZeroCopy(*packet, body, 5);
  EXPECT_EQ(videoInfoOf(*parseHevcConfig(packet->data.span()))->codecString, "hvc1.1.6.L93.90");
}

TEST(FlvVideoTag, ParsesEnhancedHevcCodedFramesWithCompositionTime) {
  const Bytes frame = hevcKeyframe();
  const Bytes rest = concat({std::initializer_list<uint8_t>{0xff, 0xff, 0xdf}, frame});
  const Slice body = exTag(0x91, "hvc1", rest);  // key frame, CodedFrames, CTS -33
  Result<MediaPacket> packet = parseFlvVideoTag(body, 1000);
  ASSERT_TRUE(packet.ok());
  EXPECT_TRUE(packet->keyframe);
  EXPECT_EQ(packet->cts, -33);
  expectZeroCopy(*packet, body, 8);
  EXPECT_EQ(bytesOf(packet->data), frame);
  EXPECT_TRUE(hevcIsKeyframe(packet->data.span(), 4));
}

TEST(FlvVideoTag, ParsesEnhancedHevcCodedFramesX) {
  const Bytes frame = hevcKeyframe();
  const Slice body = exTag(0xa3, "hvc1", frame);  // inter frame, CodedFramesX
  Result<MediaPacket> packet = parseFlvVideoTag(body, 1000);
  ASSERT_TRUE(packet.ok());
  EXPECT_FALSE(packet->keyframe);
  EXPECT_EQ(packet->cts, 0);
  expectZeroCopy(*packet, body, 5);
}

TEST(FlvVideoTag, ParsesEnhancedAvc) {
  const Slice config = exTag(0x90, "avc1", td::kAvcC1280x720High);
  EXPECT_EQ(parseFlvVideoTag(config, 0)->codec, Codec::kH264);
  const Slice frame =
      exTag(0x91, "avc1", ByteSpan(td::kFlvAvcKeyframe).subspan(2));  // SI24 + NALUs
  Result<MediaPacket> packet = parseFlvVideoTag(frame, 0);
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(packet->cts, 67);
  EXPECT_TRUE(h264IsKeyframe(packet->data.span(), 4));
}

TEST(FlvVideoTag, ParsesEnhancedAv1) {
  const Slice start = exTag(0x90, "av01", td::kAv1C640x360);
  Result<MediaPacket> config = parseFlvVideoTag(start, 0);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->codec, Codec::kAv1);
  EXPECT_TRUE(config->config);
  expectZeroCopy(*config, start, 5);
  EXPECT_EQ(videoInfoOf(*parseAv1Config(config->data.span()))->width, 640u);

  const Slice coded = exTag(0x91, "av01", td::kAv1TemporalUnits64x64);  // no CTS for AV1
  Result<MediaPacket> frame = parseFlvVideoTag(coded, 33);
  ASSERT_TRUE(frame.ok());
  EXPECT_TRUE(frame->keyframe);
  EXPECT_EQ(frame->cts, 0);
  expectZeroCopy(*frame, coded, 5);
  EXPECT_EQ(parseAv1SequenceHeader(frame->data.span())->height, 64u);
}

TEST(FlvVideoTag, RefusesUnsupportedCodecsAndFeatures) {
  const uint8_t payload[] = {0x00, 0x01, 0x02};
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0x90, "vp09", payload), 0)), "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0x91, "vvc1", payload), 0)), "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0x90, "xxxx", payload), 0)), "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0x95, "av01", payload), 0)), "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x96, 0x00, 'h', 'v', 'c', '1', 0x00}), 0)),
            "media.unsupported");  // Multitrack
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x97, 0x02, 0x00, 0x00, 0x10, 0x01}), 0)),
            "media.unsupported");  // ModEx
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0x9f, "hvc1", payload), 0)), "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x12, 0x00, 0x00}), 0)), "media.unsupported");
}

TEST(FlvVideoTag, IgnoresCommandAndMetadataFrames) {
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x57, 0x00}), 0)), "media.ignored");
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0xd1, 0x01}), 0)), "media.ignored");
  const uint8_t amf[] = {0x02, 0x00, 0x09, 'c', 'o', 'l', 'o', 'r', 'I', 'n', 'f', 'o'};
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0x84, "hvc1", amf), 0)), "media.ignored");
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x27, 0x01, 0x00, 0x00, 0x00}), 0)),
            "media.ignored");  // empty coded frame
}

TEST(FlvVideoTag, RejectsReservedValues) {
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x07, 0x01, 0, 0, 0, 1}), 0)), "media.invalid");
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x67, 0x01, 0, 0, 0, 1}), 0)), "media.invalid");
  EXPECT_EQ(errorCode(parseFlvVideoTag(sliceOf({0x17, 0x03, 0, 0, 0, 1}), 0)), "media.invalid");
  EXPECT_EQ(errorCode(parseFlvVideoTag(exTag(0xe1, "hvc1", td::kAvcC1280x720High), 0)),
            "media.invalid");
}

// Cutting a tag anywhere inside its header is an error; past the header the FLV layer cannot
// tell (payload lengths are implicit), and the packet is simply shorter.
void expectTruncationsFailCleanly(const Slice& body, size_t headerSize, bool video) {
  for (size_t length = 0; length < body.size(); ++length) {
    const Slice cut = body.sub(0, length);
    Result<MediaPacket> packet = video ? parseFlvVideoTag(cut, 0) : parseFlvAudioTag(cut, 0);
    if (length <= headerSize) {
      EXPECT_FALSE(packet.ok()) << "length " << length;
    } else {
      ASSERT_TRUE(packet.ok()) << "length " << length;
      EXPECT_EQ(packet->data.size(), length - headerSize);
    }
  }
}

TEST(FlvVideoTag, TruncatedBodiesFailCleanly) {
  expectTruncationsFailCleanly(sliceOf(td::kFlvAvcSequenceHeader), 5, true);
  expectTruncationsFailCleanly(sliceOf(td::kFlvAvcKeyframe), 5, true);
  expectTruncationsFailCleanly(
      exTag(0x91, "hvc1", concat({std::initializer_list<uint8_t>{0, 0, 1}, hevcKeyframe()})), 8,
      true);
  expectTruncationsFailCleanly(exTag(0xa3, "hvc1", hevcKeyframe()), 5, true);
  expectTruncationsFailCleanly(exTag(0x90, "av01", td::kAv1C640x360), 5, true);
}

TEST(FlvAudioTag, ParsesAacSequenceHeaderAndRawFrames) {
  const Slice config = sliceOf(td::kFlvAacSequenceHeader);
  Result<MediaPacket> header = parseFlvAudioTag(config, 0);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->track, TrackType::kAudio);
  EXPECT_EQ(header->codec, Codec::kAac);
  EXPECT_TRUE(header->config);
  expectZeroCopy(*header, config, 2);
  EXPECT_EQ(parseAudioSpecificConfig(header->data.span())->sampleRate, 48000u);

  const Slice raw = sliceOf(td::kFlvAacRaw);
  Result<MediaPacket> frame = parseFlvAudioTag(raw, 88);
  ASSERT_TRUE(frame.ok());
  EXPECT_FALSE(frame->config);
  EXPECT_EQ(frame->dts, 88);
  expectZeroCopy(*frame, raw, 2);
}

TEST(FlvAudioTag, ParsesMp3) {
  const Slice body = sliceOf({0x2f, 0xff, 0xfb, 0x90, 0x64});
  Result<MediaPacket> packet = parseFlvAudioTag(body, 0);
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(packet->codec, Codec::kMp3);
  expectZeroCopy(*packet, body, 1);
}

TEST(FlvAudioTag, ParsesEnhancedOpusAndAac) {
  const uint8_t opusHead[] = {'O',  'p',  'u',  's',  'H',  'e',  'a',  'd',  1,   2,
                              0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00, 0x00, 0x00};
  const Slice start = exTag(0x90, "Opus", opusHead);
  Result<MediaPacket> config = parseFlvAudioTag(start, 0);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->codec, Codec::kOpus);
  EXPECT_TRUE(config->config);
  expectZeroCopy(*config, start, 5);
  EXPECT_TRUE(parseFlvAudioTag(exTag(0x90, "Opus"), 0).ok());  // empty ID header is allowed
  const uint8_t opusFrame[] = {0xfc, 0xff, 0xfe};
  Result<MediaPacket> frame = parseFlvAudioTag(exTag(0x91, "Opus", opusFrame), 20);
  ASSERT_TRUE(frame.ok());
  EXPECT_FALSE(frame->config);
  EXPECT_TRUE(parseFlvAudioTag(exTag(0x92, "Opus"), 40)->endOfSequence);
  Result<MediaPacket> aac = parseFlvAudioTag(exTag(0x90, "mp4a", td::kAscLc44100Stereo), 0);
  ASSERT_TRUE(aac.ok());
  EXPECT_EQ(aac->codec, Codec::kAac);
  EXPECT_TRUE(aac->config);
}

TEST(FlvAudioTag, RefusesOrIgnoresWhatItCannotCarry) {
  EXPECT_EQ(errorCode(parseFlvAudioTag(Slice(), 0)), "media.ignored");  // silence
  EXPECT_EQ(errorCode(parseFlvAudioTag(sliceOf({0xb6, 0x00}), 0)), "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvAudioTag(exTag(0x90, "fLaC", td::kAscLc44100Stereo), 0)),
            "media.unsupported");
  EXPECT_EQ(errorCode(parseFlvAudioTag(sliceOf({0x95, 0x00, 'O', 'p', 'u', 's'}), 0)),
            "media.unsupported");  // Multitrack
  EXPECT_EQ(errorCode(parseFlvAudioTag(sliceOf({0x97, 0x02, 0x00, 0x00, 0x10}), 0)),
            "media.unsupported");                                       // ModEx
  const uint8_t stereoLayout[] = {0x01, 0x02, 0x00, 0x00, 0x00, 0x03};  // MultichannelConfig
  EXPECT_EQ(errorCode(parseFlvAudioTag(exTag(0x94, "Opus", stereoLayout), 0)), "media.ignored");
  EXPECT_EQ(errorCode(parseFlvAudioTag(sliceOf({0xaf, 0x02, 0x00}), 0)), "media.invalid");
  EXPECT_EQ(errorCode(parseFlvAudioTag(sliceOf({0xaf, 0x01}), 0)), "media.ignored");
  EXPECT_EQ(errorCode(parseFlvAudioTag(sliceOf({0xaf, 0x00}), 0)), "media.truncated");
}

TEST(FlvAudioTag, TruncatedBodiesFailCleanly) {
  expectTruncationsFailCleanly(sliceOf(td::kFlvAacSequenceHeader), 2, false);
  expectTruncationsFailCleanly(sliceOf(td::kFlvAacRaw), 2, false);
  expectTruncationsFailCleanly(exTag(0x91, "mp4a", ByteSpan(td::kFlvAacRaw).subspan(2)), 5, false);
}

TEST(FlvDataTag, CarriesTheWholeBodyAsAmf) {
  const Slice body = sliceOf({0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a'});
  Result<MediaPacket> packet = parseFlvDataTag(body, 0);
  ASSERT_TRUE(packet.ok());
  EXPECT_EQ(packet->track, TrackType::kData);
  EXPECT_EQ(packet->codec, Codec::kAmfData);
  EXPECT_EQ(packet->data.data(), body.data());
  EXPECT_EQ(packet->data.size(), body.size());
  EXPECT_TRUE(packet->flvHeader.empty());
  EXPECT_EQ(errorCode(parseFlvDataTag(Slice(), 0)), "media.truncated");
}

TEST(FlvHeader, RebuildsFfmpegLegacyHeaders) {
  for (ByteSpan tag : {ByteSpan(td::kFlvAvcSequenceHeader), ByteSpan(td::kFlvAvcKeyframe),
                       ByteSpan(td::kFlvAvcInterFrame), ByteSpan(td::kFlvAvcEndOfSequence)}) {
    Result<MediaPacket> packet = parseFlvVideoTag(sliceOf(tag), 0);
    ASSERT_TRUE(packet.ok());
    EXPECT_EQ(bytesOf(makeFlvHeader(*packet)), bytesOf(packet->flvHeader));
  }
  for (ByteSpan tag : {ByteSpan(td::kFlvAacSequenceHeader), ByteSpan(td::kFlvAacRaw)}) {
    Result<MediaPacket> packet = parseFlvAudioTag(sliceOf(tag), 0);
    ASSERT_TRUE(packet.ok());
    EXPECT_EQ(bytesOf(makeFlvHeader(*packet)), bytesOf(packet->flvHeader));
  }
}

TEST(FlvHeader, WritesEnhancedHeadersForHevcAndAv1) {
  MediaPacket packet;
  packet.codec = Codec::kHevc;
  packet.keyframe = true;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0x93, 'h', 'v', 'c', '1'}));  // CodedFramesX
  packet.keyframe = false;
  packet.cts = -40;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0xa1, 'h', 'v', 'c', '1', 0xff, 0xff, 0xd8}));
  packet.config = true;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0x90, 'h', 'v', 'c', '1'}));
  packet = MediaPacket{};
  packet.codec = Codec::kAv1;
  packet.cts = 10;  // AV1 CodedFrames carry no composition time
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0xa1, 'a', 'v', '0', '1'}));
  packet.endOfSequence = true;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0x92, 'a', 'v', '0', '1'}));
}

TEST(FlvHeader, ClampsCompositionTimeAndSkipsData) {
  MediaPacket packet;
  packet.codec = Codec::kH264;
  packet.cts = 100000000;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0x27, 0x01, 0x7f, 0xff, 0xff}));
  packet.cts = -100000000;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0x27, 0x01, 0x80, 0x00, 0x00}));
  packet.codec = Codec::kOpus;
  EXPECT_EQ(bytesOf(makeFlvHeader(packet)), (Bytes{0x91, 'O', 'p', 'u', 's'}));
  packet.codec = Codec::kAmfData;
  EXPECT_TRUE(makeFlvHeader(packet).empty());
}

TEST(FlvHeader, RoundTripsThroughTheParser) {
  const Bytes frame = hevcKeyframe();
  for (int32_t cts : {0, 33, -33}) {
    MediaPacket packet;
    packet.track = TrackType::kVideo;
    packet.codec = Codec::kHevc;
    packet.keyframe = true;
    packet.cts = cts;
    const Bytes body = concat({bytesOf(makeFlvHeader(packet)), frame});
    Result<MediaPacket> parsed = parseFlvVideoTag(sliceOf(body), 0);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->cts, cts);
    EXPECT_TRUE(parsed->keyframe);
    EXPECT_EQ(bytesOf(parsed->data), frame);
  }
}

}  // namespace
}  // namespace tidecast::core::media
