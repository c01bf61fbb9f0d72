#include "delivery/cmaf/init_segment.h"

#include <gtest/gtest.h>

#include "tests/core/media/media_test_vectors.h"
#include "tests/delivery/cmaf/bmff_reader.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::cmaf {
namespace {

using core::media::Codec;
using core::media::TrackType;
using testutil::Box;
using testutil::bytesOf;
using testutil::readU16;
using testutil::readU32;
using testutil::walk;
namespace testdata = core::media::testdata;

TrackDescription describe(TrackType track, Codec codec, std::span<const uint8_t> config) {
  auto description = describeTrack(*testutil::configPacket(track, codec, config));
  EXPECT_TRUE(description.ok()) << description.error().message;
  return *description;
}

testutil::Bytes bytes(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

// The sample entry of an init segment, after checking the common structure.
const Box* sampleEntry(const testutil::Walked& init, std::string_view entry) {
  EXPECT_EQ(init.error, "");
  EXPECT_EQ(init.types(), (std::vector<std::string>{"ftyp", "moov"}));
  const Box* stsd = init.find("moov/trak/mdia/minf/stbl/stsd");
  if (stsd == nullptr) {
    ADD_FAILURE() << "no stsd";
    return nullptr;
  }
  EXPECT_EQ(readU32(stsd->body, 4), 1u);  // entry_count
  EXPECT_EQ(stsd->children.size(), 1u);
  return stsd->find(entry);
}

TEST(InitSegment, H264HasTheFullBoxTreeAndTheAvcCRecordVerbatim) {
  TrackDescription track = describe(TrackType::kVideo, Codec::kH264, testdata::kAvcC1280x720High);
  auto init = walk(bytesOf(writeInitSegment(track)));
  ASSERT_EQ(init.error, "");
  const Box* ftyp = init.find("ftyp");
  ASSERT_NE(ftyp, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ftyp->body.data()), 4), "iso6");
  for (auto path :
       {"moov/mvhd", "moov/trak/tkhd", "moov/trak/mdia/mdhd", "moov/trak/mdia/hdlr",
        "moov/trak/mdia/minf/vmhd", "moov/trak/mdia/minf/dinf/dref/url ",
        "moov/trak/mdia/minf/stbl/stts", "moov/trak/mdia/minf/stbl/stsc",
        "moov/trak/mdia/minf/stbl/stsz", "moov/trak/mdia/minf/stbl/stco", "moov/mvex/trex"}) {
    EXPECT_NE(init.find(path), nullptr) << path;
  }
  const Box* avc1 = sampleEntry(init, "avc1");
  ASSERT_NE(avc1, nullptr);
  EXPECT_EQ(readU16(avc1->body, 24), 1280u);  // width
  EXPECT_EQ(readU16(avc1->body, 26), 720u);   // height
  const Box* avcC = avc1->find("avcC");
  ASSERT_NE(avcC, nullptr);
  EXPECT_EQ(testutil::Bytes(avcC->body.begin(), avcC->body.end()),
            bytes(testdata::kAvcC1280x720High));

  const Box* tkhd = init.find("moov/trak/tkhd");
  EXPECT_EQ(readU32(tkhd->body, 12), kTrackId);
  EXPECT_EQ(readU32(tkhd->body, 76), 1280u << 16);
  EXPECT_EQ(readU32(tkhd->body, 80), 720u << 16);
  const Box* mdhd = init.find("moov/trak/mdia/mdhd");
  EXPECT_EQ(readU32(mdhd->body, 12), kVideoTimescale);
  const Box* hdlr = init.find("moov/trak/mdia/hdlr");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(hdlr->body.data()) + 8, 4), "vide");
}

TEST(InitSegment, TrexNamesTheTrackTheFragmentsUse) {
  auto init = walk(bytesOf(
      writeInitSegment(describe(TrackType::kVideo, Codec::kH264, testdata::kAvcC1920x1080High))));
  const Box* trex = init.find("moov/mvex/trex");
  ASSERT_NE(trex, nullptr);
  EXPECT_EQ(trex->body.size(), 24u);
  EXPECT_EQ(readU32(trex->body, 4), kTrackId);
  EXPECT_EQ(readU32(trex->body, 8), 1u);  // default_sample_description_index
}

TEST(InitSegment, HevcUsesHvc1WithTheHvcCRecord) {
  auto init = walk(bytesOf(
      writeInitSegment(describe(TrackType::kVideo, Codec::kHevc, testdata::kHvcC1280x720Main))));
  const Box* hvc1 = sampleEntry(init, "hvc1");
  ASSERT_NE(hvc1, nullptr);
  const Box* hvcC = hvc1->find("hvcC");
  ASSERT_NE(hvcC, nullptr);
  EXPECT_EQ(testutil::Bytes(hvcC->body.begin(), hvcC->body.end()),
            bytes(testdata::kHvcC1280x720Main));
  EXPECT_EQ(readU16(hvc1->body, 24), 1280u);
}

TEST(InitSegment, Av1UsesAv01WithTheAv1CRecord) {
  auto init = walk(
      bytesOf(writeInitSegment(describe(TrackType::kVideo, Codec::kAv1, testdata::kAv1C640x360))));
  const Box* av01 = sampleEntry(init, "av01");
  ASSERT_NE(av01, nullptr);
  const Box* av1C = av01->find("av1C");
  ASSERT_NE(av1C, nullptr);
  EXPECT_EQ(testutil::Bytes(av1C->body.begin(), av1C->body.end()), bytes(testdata::kAv1C640x360));
  EXPECT_EQ(readU16(av01->body, 24), 640u);
  EXPECT_EQ(readU16(av01->body, 26), 360u);
}

// ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo, each with the 4-byte
// expandable size the writer uses; returns the AudioSpecificConfig, checking every size.
testutil::Bytes ascInEsds(const Box& esds) {
  testutil::ByteView b = esds.body.subspan(4);  // version + flags
  auto descriptorSize = [&](size_t at) {
    size_t size = 0;
    for (size_t i = 0; i < 4; ++i) {
      size = (size << 7) | (b[at + 1 + i] & 0x7f);
      if ((b[at + 1 + i] & 0x80) == 0) break;
    }
    return size;
  };
  EXPECT_EQ(b[0], 0x03);
  EXPECT_EQ(descriptorSize(0) + 5, b.size());  // ES_Descriptor fills the box
  size_t dcd = 5 + 3;
  EXPECT_EQ(b[dcd], 0x04);
  EXPECT_EQ(b[dcd + 5], 0x40);  // objectTypeIndication: ISO/IEC 14496-3 audio
  size_t dsi = dcd + 5 + 13;
  EXPECT_EQ(b[dsi], 0x05);
  EXPECT_EQ(descriptorSize(dcd), 13 + 5 + descriptorSize(dsi));
  size_t asc = descriptorSize(dsi);
  size_t sl = dsi + 5 + asc;
  EXPECT_EQ(b[sl], 0x06);
  EXPECT_EQ(sl + 5 + descriptorSize(sl), b.size());  // SLConfigDescriptor ends the box
  return {b.begin() + static_cast<long>(dsi + 5), b.begin() + static_cast<long>(dsi + 5 + asc)};
}

TEST(InitSegment, AacUsesMp4aWithTheAudioSpecificConfigInEsds) {
  TrackDescription track = describe(TrackType::kAudio, Codec::kAac, testutil::kAscLc48000Stereo);
  auto init = walk(bytesOf(writeInitSegment(track)));
  const Box* mp4a = sampleEntry(init, "mp4a");
  ASSERT_NE(mp4a, nullptr);
  EXPECT_EQ(readU16(mp4a->body, 16), 2u);            // channelcount
  EXPECT_EQ(readU32(mp4a->body, 24), 48000u << 16);  // samplerate 16.16
  const Box* esds = mp4a->find("esds");
  ASSERT_NE(esds, nullptr);
  EXPECT_EQ(ascInEsds(*esds), bytes(testutil::kAscLc48000Stereo));
  EXPECT_NE(init.find("moov/trak/mdia/minf/smhd"), nullptr);
  EXPECT_EQ(readU32(init.find("moov/trak/mdia/mdhd")->body, 12), 48000u);
  const Box* hdlr = init.find("moov/trak/mdia/hdlr");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(hdlr->body.data()) + 8, 4), "soun");
}

// Regression: descriptor sizes were written as one 7-bit byte, so an ES_Descriptor past 127
// bytes (an AudioSpecificConfig of 96+ bytes) wrapped its size and one past 127 bytes lost
// the configuration altogether.
TEST(InitSegment, LongAudioSpecificConfigKeepsEsdsSizesConsistent) {
  for (size_t extra : {94u, 130u, 300u}) {
    testutil::Bytes asc(testutil::kAscLc48000Stereo, testutil::kAscLc48000Stereo + 2);
    asc.resize(2 + extra, 0);  // trailing bytes the parser ignores
    TrackDescription track = describe(TrackType::kAudio, Codec::kAac, asc);
    auto init = walk(bytesOf(writeInitSegment(track)));
    ASSERT_EQ(init.error, "");
    const Box* esds = init.find("moov/trak/mdia/minf/stbl/stsd/mp4a/esds");
    ASSERT_NE(esds, nullptr);
    EXPECT_EQ(ascInEsds(*esds), asc) << extra;
  }
}

TEST(InitSegment, OpusUsesTheOpusEntryWithDOps) {
  TrackDescription track = describe(TrackType::kAudio, Codec::kOpus, testutil::kOpusHead);
  auto init = walk(bytesOf(writeInitSegment(track)));
  const Box* opus = sampleEntry(init, "Opus");
  ASSERT_NE(opus, nullptr);
  const Box* dOps = opus->find("dOps");
  ASSERT_NE(dOps, nullptr);
  ASSERT_EQ(dOps->body.size(), 11u);
  EXPECT_EQ(dOps->body[1], 2);                // channels
  EXPECT_EQ(readU16(dOps->body, 2), 312u);    // pre-skip, big-endian here
  EXPECT_EQ(readU32(dOps->body, 4), 48000u);  // input sample rate
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
