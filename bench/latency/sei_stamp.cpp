#include "bench/latency/sei_stamp.h"

#include <algorithm>

namespace tidecast::bench::latency {
namespace {

constexpr uint8_t kSeiNalHeader = 0x06;  // forbidden 0, nal_ref_idc 0, type 6 (SEI)
constexpr uint8_t kUserDataUnregistered = 5;
constexpr uint8_t kRbspTrailing = 0x80;
constexpr char kHexDigits[] = "0123456789ABCDEF";

bool isVcl(uint8_t nalHeader) {
  uint8_t type = nalHeader & 0x1f;
  return type >= 1 && type <= 5;
}

bool startsWithStartCode(std::span<const uint8_t> au) {
  if (au.size() >= 3 && au[0] == 0 && au[1] == 0 && au[2] == 1) return true;
  return au.size() >= 4 && au[0] == 0 && au[1] == 0 && au[2] == 0 && au[3] == 1;
}

// Offset of the start code (3 or 4 bytes) of the first VCL NAL unit, or 0.
size_t firstVclAnnexB(std::span<const uint8_t> au) {
  for (size_t i = 0; i + 3 < au.size(); ++i) {
    if (au[i] != 0 || au[i + 1] != 0 || au[i + 2] != 1) continue;
    if (isVcl(au[i + 3])) return i > 0 && au[i - 1] == 0 ? i - 1 : i;
    i += 2;
  }
  return 0;
}

uint32_t readBe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Offset of the 4-byte length of the first VCL NAL unit, or 0.
size_t firstVclAvcc(std::span<const uint8_t> au) {
  size_t pos = 0;
  while (pos + 5 <= au.size()) {
    size_t length = readBe32(au.data() + pos);
    if (length == 0 || length > au.size() - pos - 4) break;
    if (isVcl(au[pos + 4])) return pos;
    pos += 4 + length;
  }
  return 0;
}

}  // namespace

std::vector<uint8_t> makeStampSei(int64_t micros) {
  std::vector<uint8_t> nal = {kSeiNalHeader, kUserDataUnregistered,
                              static_cast<uint8_t>(kStampPayloadSize)};
  nal.insert(nal.end(), kStampUuid.begin(), kStampUuid.end());
  auto value = static_cast<uint64_t>(micros);
  for (int shift = 60; shift >= 0; shift -= 4) nal.push_back(kHexDigits[(value >> shift) & 0xf]);
  nal.push_back(kRbspTrailing);
  return nal;
}

std::optional<int64_t> parseStampDigits(std::span<const uint8_t> digits) {
  if (digits.size() < kStampDigits) return std::nullopt;
  uint64_t value = 0;
  for (size_t i = 0; i < kStampDigits; ++i) {
    uint8_t c = digits[i];
    uint64_t nibble = 0;
    if (c >= '0' && c <= '9') {
      nibble = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      nibble = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = value << 4 | nibble;
  }
  return static_cast<int64_t>(value);
}

std::optional<int64_t> parseStampPayload(std::span<const uint8_t> payload) {
  if (payload.size() < kStampPayloadSize) return std::nullopt;
  if (!std::equal(kStampUuid.begin(), kStampUuid.end(), payload.begin())) return std::nullopt;
  return parseStampDigits(payload.subspan(kStampUuidSize));
}

std::vector<uint8_t> insertSei(std::span<const uint8_t> accessUnit, std::span<const uint8_t> sei) {
  bool annexB = startsWithStartCode(accessUnit);
  size_t at = annexB ? firstVclAnnexB(accessUnit) : firstVclAvcc(accessUnit);
  std::vector<uint8_t> out;
  out.reserve(accessUnit.size() + sei.size() + 4);
  out.insert(out.end(), accessUnit.begin(), accessUnit.begin() + static_cast<ptrdiff_t>(at));
  if (annexB) {
    out.insert(out.end(), {0, 0, 0, 1});
  } else {
    auto n = static_cast<uint32_t>(sei.size());
    out.insert(out.end(), {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                           static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), sei.begin(), sei.end());
  out.insert(out.end(), accessUnit.begin() + static_cast<ptrdiff_t>(at), accessUnit.end());
  return out;
}

}  // namespace tidecast::bench::latency
