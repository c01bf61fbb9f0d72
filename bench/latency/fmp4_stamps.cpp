#include "bench/latency/fmp4_stamps.h"

#include "bench/latency/sei_stamp.h"

namespace tidecast::bench::latency {
namespace {

constexpr uint8_t kNalTypeSei = 6;
constexpr uint32_t kUserDataUnregistered = 5;

uint64_t readBe(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | p[i];
  return v;
}

// The RBSP of a NAL unit's payload: every 00 00 03 becomes 00 00.
std::vector<uint8_t> unescape(std::span<const uint8_t> nal) {
  std::vector<uint8_t> rbsp;
  rbsp.reserve(nal.size());
  int zeros = 0;
  for (uint8_t b : nal) {
    if (zeros >= 2 && b == 3) {
      zeros = 0;
      continue;
    }
    zeros = b == 0 ? zeros + 1 : 0;
    rbsp.push_back(b);
  }
  return rbsp;
}

// One ff-coded number of an SEI message header (payload type or size); false past the end.
bool readSeiNumber(const std::vector<uint8_t>& rbsp, size_t& pos, uint32_t& value) {
  value = 0;
  while (pos < rbsp.size() && rbsp[pos] == 0xff) {
    value += 255;
    ++pos;
  }
  if (pos >= rbsp.size()) return false;
  value += rbsp[pos++];
  return true;
}

// The messages of an SEI NAL unit (payload after the header byte); nalEnd is its end offset.
void scanSei(std::span<const uint8_t> payload, size_t nalEnd, Fmp4Scan& out) {
  std::vector<uint8_t> rbsp = unescape(payload);
  size_t pos = 0;
  while (pos < rbsp.size() && !(rbsp.size() - pos == 1 && rbsp[pos] == 0x80)) {
    uint32_t type = 0;
    uint32_t size = 0;
    if (!readSeiNumber(rbsp, pos, type) || !readSeiNumber(rbsp, pos, size) ||
        size > rbsp.size() - pos) {
      out.error = "SEI message runs past its NAL unit";
      return;
    }
    if (type == kUserDataUnregistered) {
      if (auto stamp = parseStampPayload(std::span(rbsp).subspan(pos, size))) {
        out.stamps.push_back({*stamp, nalEnd});
      }
    }
    pos += size;
  }
}

// The length-prefixed NAL units of an mdat payload starting at offset `base`.
void scanMdat(std::span<const uint8_t> mdat, size_t base, Fmp4Scan& out) {
  size_t pos = 0;
  while (pos < mdat.size() && out.error.empty()) {
    if (mdat.size() - pos < 5) {
      out.error = "truncated NAL unit at mdat offset " + std::to_string(pos);
      return;
    }
    uint64_t length = readBe(mdat.data() + pos, 4);
    pos += 4;
    if (length == 0 || length > mdat.size() - pos) {
      out.error = "NAL length " + std::to_string(length) + " at mdat offset " +
                  std::to_string(pos - 4) + " runs past the mdat";
      return;
    }
    ++out.nalUnits;
    if ((mdat[pos] & 0x1f) == kNalTypeSei) {
      scanSei(mdat.subspan(pos + 1, length - 1), base + pos + length, out);
    }
    pos += length;
  }
}

}  // namespace

Fmp4Scan scanFmp4(std::span<const uint8_t> bytes) {
  Fmp4Scan out;
  size_t pos = 0;
  while (pos < bytes.size() && out.error.empty()) {
    if (bytes.size() - pos < 8) {
      out.error = "truncated box header at offset " + std::to_string(pos);
      break;
    }
    uint64_t size = readBe(bytes.data() + pos, 4);
    std::string type(reinterpret_cast<const char*>(bytes.data() + pos + 4), 4);
    uint64_t header = 8;
    if (size == 1 && bytes.size() - pos >= 16) {
      size = readBe(bytes.data() + pos + 8, 8);
      header = 16;
    } else if (size == 0) {
      size = bytes.size() - pos;  // to the end
    }
    if (size < header || size > bytes.size() - pos) {
      out.error = "box '" + type + "' at offset " + std::to_string(pos) + " has size " +
                  std::to_string(size) + " past the end (" + std::to_string(bytes.size()) + ")";
      break;
    }
    if (type == "mdat") {
      ++out.mdats;
      scanMdat(bytes.subspan(pos + header, size - header), pos + header, out);
    }
    pos += size;
  }
  return out;
}

}  // namespace tidecast::bench::latency
