// Fuzz target: the SRT ingest demux path. The fuzzer's bytes are what an SRT publisher sent:
// they go through the same custom-AVIO libavformat demuxer and TsMediaConverter as a live
// connection (read in small, uneven pieces as SRT messages arrive). Every packet that comes
// out must be well-formed for the hub: video payloads are length-prefixed NAL units that
// walk cleanly, configs are present before frames, timestamps stay on the timeline.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/media/nal_units.h"
#include "ingest/srt/ts_demuxer.h"
#include "ingest/srt/ts_media_converter.h"

namespace {

using namespace tidecast::ingest::srt;
using namespace tidecast::core::media;

constexpr int kMaxUnits = 2000;  // bounds a run on a large input

void check(const MediaPacket& packet, bool& videoConfigured) {
  if (packet.config) {
    if (packet.track == TrackType::kVideo) videoConfigured = true;
    if (packet.data.empty()) std::abort();
    return;
  }
  if (packet.track == TrackType::kVideo) {
    if (!videoConfigured) std::abort();
    LengthPrefixedNalReader reader(packet.data.span(), 4);
    size_t units = 0;
    while (reader.next()) ++units;
    if (reader.failed() || units == 0) std::abort();
  }
  if (packet.dts < 0 || packet.cts < 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t offset = 0;
  size_t piece = 0;
  TsDemuxer demuxer([&](uint8_t* buffer, int max) {
    // SRT delivers 1316-byte messages; vary the piece size to move boundaries around.
    size_t n = std::min({size - offset, static_cast<size_t>(max), 1 + (piece++ * 397) % 1316});
    std::memcpy(buffer, data + offset, n);
    offset += n;
    return static_cast<int>(n);
  });
  if (!demuxer.open()) return 0;
  bool videoConfigured = false;
  TsMediaConverter converter([&](MediaPacketPtr packet) { check(*packet, videoConfigured); });
  for (int i = 0; i < kMaxUnits; ++i) {
    auto unit = demuxer.next();
    if (!unit) break;
    (void)converter.push(*unit);
  }
  return 0;
}
