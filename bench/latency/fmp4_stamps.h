// Stamps in fragmented MP4 bytes (CMAF parts and segments: [styp] moof mdat [moof mdat]...),
// found the way a decoder meets them: top-level boxes, the NAL units of each mdat (4-byte
// lengths, AVCC as in avc1/avc3 samples), the SEI messages of each SEI NAL unit (after
// removing emulation prevention bytes). Structural damage is reported, not skipped over
// silently: a packager that writes wrong box sizes or NAL lengths shows up here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace tidecast::bench::latency {

struct Fmp4Stamp {
  int64_t micros = 0;
  size_t endOffset = 0;  // offset just past the stamp's last byte in the scanned bytes
};

struct Fmp4Scan {
  std::vector<Fmp4Stamp> stamps;
  size_t mdats = 0;
  size_t nalUnits = 0;
  std::string error;  // empty, or the first structural problem met
};

Fmp4Scan scanFmp4(std::span<const uint8_t> bytes);

}  // namespace tidecast::bench::latency
