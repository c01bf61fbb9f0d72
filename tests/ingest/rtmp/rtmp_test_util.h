// Helpers shared by the RTMP transport tests.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/slice.h"
#include "ingest/rtmp/chunk_reader.h"

namespace tidecast::ingest::rtmp::rtmptest {

inline std::string flatten(const core::SliceList& slices) {
  std::string out;
  for (const auto& slice : slices) out.append(slice.view());
  return out;
}

struct ReadResult {
  std::vector<RtmpMessage> messages;
  core::Status status;
};

// Feeds `bytes` to the reader in pieces of `piece` bytes (0: all at once), collecting messages
// until the first error.
inline ReadResult readAll(ChunkReader& reader, std::string_view bytes, size_t piece = 0) {
  ReadResult result;
  auto collect = [&](RtmpMessage&& message) { result.messages.push_back(std::move(message)); };
  if (piece == 0) piece = std::max<size_t>(bytes.size(), 1);
  while (!bytes.empty() && result.status.ok()) {
    size_t count = std::min(piece, bytes.size());
    result.status = reader.feed(bytes.substr(0, count), collect);
    bytes.remove_prefix(count);
  }
  return result;
}

// A chunk header written by hand, the way encoders compress them.
inline std::string basicHeader(int fmt, uint32_t csid) {
  std::string out;
  if (csid < 64) {
    out += static_cast<char>((fmt << 6) | csid);
  } else if (csid < 320) {
    out += static_cast<char>(fmt << 6);
    out += static_cast<char>(csid - 64);
  } else {
    out += static_cast<char>((fmt << 6) | 1);
    out += static_cast<char>((csid - 64) & 0xFF);
    out += static_cast<char>((csid - 64) >> 8);
  }
  return out;
}

inline std::string be24(uint32_t value) {
  return {static_cast<char>(value >> 16), static_cast<char>(value >> 8), static_cast<char>(value)};
}

inline std::string be32(uint32_t value) { return static_cast<char>(value >> 24) + be24(value); }

inline std::string le32(uint32_t value) {
  return {static_cast<char>(value), static_cast<char>(value >> 8), static_cast<char>(value >> 16),
          static_cast<char>(value >> 24)};
}

// fmt 0: timestamp, length, type, stream id (extended timestamp appended when >= 0xFFFFFF).
inline std::string fmt0(uint32_t csid, uint32_t timestamp, uint32_t length, uint8_t type,
                        uint32_t streamId) {
  bool extended = timestamp >= 0xFFFFFF;
  std::string out = basicHeader(0, csid) + be24(extended ? 0xFFFFFF : timestamp) + be24(length) +
                    static_cast<char>(type) + le32(streamId);
  if (extended) out += be32(timestamp);
  return out;
}

inline std::string fmt1(uint32_t csid, uint32_t delta, uint32_t length, uint8_t type) {
  bool extended = delta >= 0xFFFFFF;
  std::string out = basicHeader(1, csid) + be24(extended ? 0xFFFFFF : delta) + be24(length) +
                    static_cast<char>(type);
  if (extended) out += be32(delta);
  return out;
}

inline std::string fmt2(uint32_t csid, uint32_t delta) {
  bool extended = delta >= 0xFFFFFF;
  std::string out = basicHeader(2, csid) + be24(extended ? 0xFFFFFF : delta);
  if (extended) out += be32(delta);
  return out;
}

inline std::string fmt3(uint32_t csid) { return basicHeader(3, csid); }

}  // namespace tidecast::ingest::rtmp::rtmptest
