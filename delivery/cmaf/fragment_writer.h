// CMAF fragments (ISO/IEC 14496-12 8.8, ISO/IEC 23000-19 7.3.2): [styp] moof(mfhd, traf(tfhd,
// tfdt, trun)) mdat. Only the box headers are written here; the mdat payload is the samples'
// own Slices, so a fragment is one small header Slice followed by references to the
// publisher's bytes. Every LL-HLS part is one fragment; a segment is its parts in order.
#pragma once

#include <cstdint>
#include <vector>

#include "core/media/media_packet.h"
#include "core/slice.h"

namespace tidecast::delivery::cmaf {

struct CmafSample {
  core::media::MediaPacketPtr packet;  // data is the sample: length-prefixed NALs, OBUs, a frame
  uint32_t duration = 0;               // track timescale
  int32_t compositionOffset = 0;       // pts - dts, track timescale
  bool sync = false;                   // a random access point
};

struct FragmentHeader {
  uint32_t sequenceNumber = 1;  // mfhd; starts at 1, one per fragment of the track
  uint64_t baseDecodeTime = 0;  // tfdt, track timescale
  bool segmentStart = false;    // prefix an styp: the fragment opens a CMAF segment
};

// The whole fragment: one Slice of headers (styp, moof, mdat header) followed by the sample
// payloads. `samples` must not be empty.
core::SliceList writeFragment(const FragmentHeader& header, const std::vector<CmafSample>& samples);

}  // namespace tidecast::delivery::cmaf
