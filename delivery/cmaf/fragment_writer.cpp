#include "delivery/cmaf/fragment_writer.h"

#include "delivery/cmaf/box_writer.h"
#include "delivery/cmaf/init_segment.h"

namespace tidecast::delivery::cmaf {

namespace {

// trun flags (14496-12 8.8.8.1)
constexpr uint32_t kDataOffsetPresent = 0x000001;
constexpr uint32_t kDurationPresent = 0x000100;
constexpr uint32_t kSizePresent = 0x000200;
constexpr uint32_t kFlagsPresent = 0x000400;
constexpr uint32_t kCompositionOffsetPresent = 0x000800;
constexpr uint32_t kDefaultBaseIsMoof = 0x020000;  // tfhd

// sample_flags: sample_depends_on 2 (an independent sample) or 1 plus is_non_sync_sample.
constexpr uint32_t kSyncSampleFlags = 0x02000000;
constexpr uint32_t kNonSyncSampleFlags = 0x01010000;

void styp(BoxWriter& w) {
  size_t box = w.open("styp");
  w.fourcc("msdh");
  w.u32(0);
  for (auto brand : {"msdh", "msix", "cmfs"}) w.fourcc(brand);
  w.close(box);
}

bool hasCompositionOffsets(const std::vector<CmafSample>& samples) {
  for (const CmafSample& s : samples) {
    if (s.compositionOffset != 0) return true;
  }
  return false;
}

}  // namespace

core::SliceList writeFragment(const FragmentHeader& header,
                              const std::vector<CmafSample>& samples) {
  BoxWriter w;
  if (header.segmentStart) styp(w);
  size_t moofStart = w.size();
  size_t moof = w.open("moof");
  size_t mfhd = w.openFull("mfhd", 0, 0);
  w.u32(header.sequenceNumber);
  w.close(mfhd);
  size_t traf = w.open("traf");
  size_t tfhd = w.openFull("tfhd", 0, kDefaultBaseIsMoof);
  w.u32(kTrackId);
  w.close(tfhd);
  size_t tfdt = w.openFull("tfdt", 1, 0);
  w.u64(header.baseDecodeTime);
  w.close(tfdt);
  bool offsets = hasCompositionOffsets(samples);
  uint32_t flags = kDataOffsetPresent | kDurationPresent | kSizePresent | kFlagsPresent |
                   (offsets ? kCompositionOffsetPresent : 0);
  size_t trun = w.openFull("trun", 1, flags);  // version 1: signed composition offsets
  w.u32(static_cast<uint32_t>(samples.size()));
  size_t dataOffsetField = w.size();
  w.u32(0);
  uint64_t payload = 0;
  for (const CmafSample& s : samples) {
    uint32_t size = static_cast<uint32_t>(s.packet->data.size());
    payload += size;
    w.u32(s.duration);
    w.u32(size);
    w.u32(s.sync ? kSyncSampleFlags : kNonSyncSampleFlags);
    if (offsets) w.u32(static_cast<uint32_t>(s.compositionOffset));
  }
  w.close(trun);
  w.close(traf);
  w.close(moof);
  size_t moofSize = w.size() - moofStart;
  w.patchU32(dataOffsetField, static_cast<uint32_t>(moofSize + 8));
  w.u32(static_cast<uint32_t>(payload + 8));
  w.fourcc("mdat");

  core::SliceList out;
  out.reserve(samples.size() + 1);
  out.push_back(w.finish());
  for (const CmafSample& s : samples) out.push_back(s.packet->data);
  return out;
}

}  // namespace tidecast::delivery::cmaf
