#include "delivery/cmaf/fragment_writer.h"

#include <gtest/gtest.h>

#include "delivery/cmaf/init_segment.h"
#include "tests/delivery/cmaf/bmff_reader.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace tidecast::delivery::cmaf {
namespace {

using testutil::flatten;
using testutil::Fragment;
using testutil::readU32;
using testutil::walk;

CmafSample sample(int64_t dts, bool sync, uint32_t duration, int32_t offset = 0, size_t size = 0) {
  return CmafSample{testutil::videoFrame(dts, sync, 0, size), duration, offset, sync};
}

Fragment onlyFragment(const core::SliceList& slices) {
  auto walked = walk(flatten(slices));
  std::vector<Fragment> fragments;
  std::string error = testutil::parseFragments(walked, fragments);
  EXPECT_EQ(error, "");
  EXPECT_EQ(fragments.size(), 1u);
  return fragments.empty() ? Fragment{} : fragments[0];
}

TEST(FragmentWriter, SegmentStartPrefixesAnStyp) {
  std::vector<CmafSample> samples{sample(0, true, 3000)};
  auto first = walk(flatten(writeFragment({1, 0, true}, samples)));
  EXPECT_EQ(first.error, "");
  EXPECT_EQ(first.types(), (std::vector<std::string>{"styp", "moof", "mdat"}));
  const testutil::Box* styp = first.find("styp");
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(styp->body.data()), 4), "msdh");

  auto next = walk(flatten(writeFragment({2, 3000, false}, samples)));
  EXPECT_EQ(next.types(), (std::vector<std::string>{"moof", "mdat"}));
}

TEST(FragmentWriter, MoofCarriesSequenceTrackAndVersion1DecodeTime) {
  std::vector<CmafSample> samples{sample(0, true, 3000)};
  uint64_t base = (uint64_t{1} << 33) + 12345;  // needs the 64-bit tfdt
  auto slices = writeFragment({7, base, true}, samples);
  Fragment f = onlyFragment(slices);
  EXPECT_EQ(f.sequenceNumber, 7u);
  EXPECT_EQ(f.baseDecodeTime, base);
  auto walked = walk(flatten(slices));
  const testutil::Box* tfhd = walked.find("moof/traf/tfhd");
  ASSERT_NE(tfhd, nullptr);
  EXPECT_EQ(tfhd->flags(), 0x020000u);  // default-base-is-moof
  EXPECT_EQ(readU32(tfhd->body, 4), kTrackId);
  EXPECT_EQ(walked.find("moof/traf/trun")->version(), 1);
}

TEST(FragmentWriter, TrunListsEverySampleDurationSizeAndFlags) {
  std::vector<CmafSample> samples{sample(0, true, 2970, 0, 1500), sample(33, false, 3060, 0, 700),
                                  sample(67, false, 2970, 0, 650)};
  Fragment f = onlyFragment(writeFragment({1, 0, true}, samples));
  ASSERT_EQ(f.trun.samples.size(), 3u);
  EXPECT_EQ(f.trun.flags, 0x000701u);  // data offset, duration, size, flags; no cts offsets
  const uint32_t durations[] = {2970, 3060, 2970};
  const uint32_t sizes[] = {1500, 700, 650};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(f.trun.samples[i].duration, durations[i]);
    EXPECT_EQ(f.trun.samples[i].size, sizes[i]);
  }
  EXPECT_EQ(f.trun.samples[0].flags, 0x02000000u);  // depends on nothing: a sync sample
  EXPECT_EQ(f.trun.samples[1].flags, 0x01010000u);  // depends on others, non-sync
  EXPECT_EQ(f.duration(), 9000u);
}

TEST(FragmentWriter, CompositionOffsetsOnlyWhenAnySampleHasOne) {
  std::vector<CmafSample> samples{sample(0, true, 3000, 6000), sample(33, false, 3000, -3000),
                                  sample(67, false, 3000, 0)};
  Fragment f = onlyFragment(writeFragment({1, 0, false}, samples));
  EXPECT_EQ(f.trun.flags & 0x800u, 0x800u);
  ASSERT_EQ(f.trun.samples.size(), 3u);
  EXPECT_EQ(f.trun.samples[0].compositionOffset, 6000);
  EXPECT_EQ(f.trun.samples[1].compositionOffset, -3000);  // signed: trun version 1
  EXPECT_EQ(f.trun.samples[2].compositionOffset, 0);
}

TEST(FragmentWriter, DataOffsetPointsAtTheFirstPayloadByteAndMdatHoldsThePayload) {
  for (bool segmentStart : {true, false}) {
    std::vector<CmafSample> samples{sample(0, true, 3000, 0, 1000), sample(33, false, 3000, 0, 11)};
    auto slices = writeFragment({1, 0, segmentStart}, samples);
    auto bytes = flatten(slices);
    Fragment f = onlyFragment(slices);
    EXPECT_EQ(f.mdatPayloadSize, 1011u);
    EXPECT_EQ(f.mdatPayloadOffset + f.mdatPayloadSize, bytes.size());
    // The first payload byte is the first sample's first byte.
    EXPECT_EQ(bytes[f.mdatPayloadOffset], samples[0].packet->data.data()[0]);
    EXPECT_EQ(f.moofOffset + static_cast<size_t>(f.trun.dataOffset), f.mdatPayloadOffset);
    auto walked = walk(bytes);
    EXPECT_EQ(walked.boxes.back().type, "mdat");
    EXPECT_EQ(walked.boxes.back().size, 8u + 1011u);
  }
}

TEST(FragmentWriter, PayloadSlicesAreThePacketsOwnBytes) {
  std::vector<CmafSample> samples{sample(0, true, 3000), sample(33, false, 3000),
                                  sample(67, false, 3000)};
  auto slices = writeFragment({1, 0, true}, samples);
  ASSERT_EQ(slices.size(), 1 + samples.size());  // one header slice, then the payloads
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(slices[i + 1].data(), samples[i].packet->data.data());  // zero copy
    EXPECT_EQ(slices[i + 1].size(), samples[i].packet->data.size());
  }
  // The header slice ends with the mdat header.
  const core::Slice& header = slices[0];
  EXPECT_EQ(header.view().substr(header.size() - 4), "mdat");
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
