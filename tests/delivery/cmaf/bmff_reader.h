// Test-only ISO BMFF reader: walks what the CMAF writers produce and checks that every box
// size is consistent and nested (children fill their parent exactly), then decodes the few
// boxes the tests look into (mfhd, tfdt, trun, trex, esds). No gtest here: the fuzz target
// uses it too, and turns any error into a crash.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/slice.h"

namespace tidecast::delivery::cmaf::testutil {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline Bytes flatten(const core::SliceList& slices) {
  Bytes out;
  for (const core::Slice& s : slices) out.insert(out.end(), s.data(), s.data() + s.size());
  return out;
}

inline Bytes bytesOf(const core::Slice& slice) {
  return {slice.data(), slice.data() + slice.size()};
}

inline uint32_t readU16(ByteView b, size_t at) { return (uint32_t{b[at]} << 8) | b[at + 1]; }
inline uint32_t readU24(ByteView b, size_t at) { return (readU16(b, at) << 8) | b[at + 2]; }
inline uint32_t readU32(ByteView b, size_t at) {
  return (readU16(b, at) << 16) | readU16(b, at + 2);
}
inline uint64_t readU64(ByteView b, size_t at) {
  return (uint64_t{readU32(b, at)} << 32) | readU32(b, at + 4);
}

struct Box {
  std::string type;
  size_t offset = 0;  // of the header, in the walked buffer
  size_t size = 0;    // header included
  ByteView body;      // after the 8-byte header (a full box's version/flags included)
  std::vector<Box> children;

  uint8_t version() const { return body.empty() ? 0 : body[0]; }
  uint32_t flags() const { return body.size() < 4 ? 0 : readU24(body, 1); }
  // The first descendant along a '/'-separated path of types: "moov/trak/mdia".
  const Box* find(std::string_view path) const;
  // Every direct child of this type.
  std::vector<const Box*> all(std::string_view childType) const;
};

// How many body bytes precede a container's children (0 for plain containers); nullopt for
// a leaf box.
inline std::optional<size_t> childrenOffset(std::string_view type) {
  for (auto plain : {"moov", "trak", "mdia", "minf", "dinf", "stbl", "mvex", "moof", "traf"}) {
    if (type == plain) return 0;
  }
  if (type == "stsd" || type == "dref") return 8;                     // full box + entry_count
  if (type == "avc1" || type == "hvc1" || type == "av01") return 78;  // VisualSampleEntry
  if (type == "mp4a" || type == "Opus") return 28;                    // AudioSampleEntry
  return std::nullopt;
}

// Walks the boxes of `bytes` (whose first byte sits at `base` in the whole buffer). Returns
// an error message, empty when every box is well formed.
inline std::string walkBoxes(ByteView bytes, size_t base, std::vector<Box>& out) {
  size_t at = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 8) return "truncated box header at " + std::to_string(base + at);
    Box box;
    box.offset = base + at;
    box.size = readU32(bytes, at);
    box.type.assign(reinterpret_cast<const char*>(bytes.data() + at + 4), 4);
    if (box.size < 8) return "box '" + box.type + "' with size " + std::to_string(box.size);
    if (box.size > bytes.size() - at) {
      return "box '" + box.type + "' of " + std::to_string(box.size) + " bytes overruns its parent";
    }
    box.body = bytes.subspan(at + 8, box.size - 8);
    if (auto skip = childrenOffset(box.type)) {
      if (*skip > box.body.size()) return "container '" + box.type + "' too small";
      std::string error = walkBoxes(box.body.subspan(*skip), box.offset + 8 + *skip, box.children);
      if (!error.empty()) return box.type + "/" + error;
    }
    at += box.size;
    out.push_back(std::move(box));
  }
  return {};
}

// The boxes of a buffer it owns (Box bodies point into it): movable, not copyable.
struct Walked {
  Walked() = default;
  Walked(Walked&&) = default;
  Walked& operator=(Walked&&) = default;
  Walked(const Walked&) = delete;
  Walked& operator=(const Walked&) = delete;

  Bytes bytes;
  std::vector<Box> boxes;
  std::string error;
  const Box* find(std::string_view path) const;
  std::vector<std::string> types() const {
    std::vector<std::string> t;
    for (const Box& b : boxes) t.push_back(b.type);
    return t;
  }
};

inline Walked walk(Bytes bytes) {
  Walked w;
  w.bytes = std::move(bytes);
  w.error = walkBoxes(w.bytes, 0, w.boxes);
  return w;
}

inline const Box* findIn(const std::vector<Box>& boxes, std::string_view path) {
  size_t slash = path.find('/');
  std::string_view head = path.substr(0, slash);
  for (const Box& b : boxes) {
    if (b.type != head) continue;
    if (slash == std::string_view::npos) return &b;
    if (const Box* found = findIn(b.children, path.substr(slash + 1))) return found;
  }
  return nullptr;
}

inline const Box* Box::find(std::string_view path) const { return findIn(children, path); }
inline const Box* Walked::find(std::string_view path) const { return findIn(boxes, path); }

inline std::vector<const Box*> Box::all(std::string_view childType) const {
  std::vector<const Box*> out;
  for (const Box& c : children) {
    if (c.type == childType) out.push_back(&c);
  }
  return out;
}

// ---- fragment boxes -----------------------------------------------------------------------

struct TrunSample {
  uint32_t duration = 0;
  uint32_t size = 0;
  uint32_t flags = 0;
  int32_t compositionOffset = 0;
};

struct Trun {
  uint32_t flags = 0;
  int32_t dataOffset = 0;
  std::vector<TrunSample> samples;
};

// Decodes a trun with the fields the fragment writer may set; nullopt when its size does
// not match the sample count and flags.
inline std::optional<Trun> parseTrun(const Box& box) {
  ByteView b = box.body;
  if (b.size() < 8) return std::nullopt;
  Trun trun;
  trun.flags = box.flags();
  uint32_t count = readU32(b, 4);
  size_t at = 8;
  auto field = [&](uint32_t flag) { return (trun.flags & flag) != 0; };
  if (field(0x1)) {
    if (b.size() < at + 4) return std::nullopt;
    trun.dataOffset = static_cast<int32_t>(readU32(b, at));
    at += 4;
  }
  if (field(0x4)) at += 4;  // first_sample_flags (not written)
  size_t perSample = 0;
  for (uint32_t flag : {0x100u, 0x200u, 0x400u, 0x800u}) perSample += field(flag) ? 4 : 0;
  if (b.size() != at + perSample * count) return std::nullopt;
  auto next = [&] {
    uint32_t v = readU32(b, at);
    at += 4;
    return v;
  };
  for (uint32_t i = 0; i < count; ++i) {
    TrunSample s;
    if (field(0x100)) s.duration = next();
    if (field(0x200)) s.size = next();
    if (field(0x400)) s.flags = next();
    if (field(0x800)) s.compositionOffset = static_cast<int32_t>(next());
    trun.samples.push_back(s);
  }
  return trun;
}

// One [styp] moof mdat fragment as the packager writes it, checked for self-consistency:
// one traf with tfhd, tfdt and trun, data_offset pointing at the first mdat payload byte and
// the sample sizes filling mdat exactly.
struct Fragment {
  bool styp = false;
  uint32_t sequenceNumber = 0;
  uint64_t baseDecodeTime = 0;
  Trun trun;
  size_t moofOffset = 0;
  size_t mdatPayloadOffset = 0;  // in the walked buffer
  size_t mdatPayloadSize = 0;
  uint64_t duration() const {
    uint64_t d = 0;
    for (const TrunSample& s : trun.samples) d += s.duration;
    return d;
  }
};

// Splits a walked segment (or part) into fragments; an error message when anything is off.
inline std::string parseFragments(const Walked& walked, std::vector<Fragment>& out) {
  if (!walked.error.empty()) return walked.error;
  const auto& boxes = walked.boxes;
  for (size_t i = 0; i < boxes.size();) {
    Fragment f;
    if (boxes[i].type == "styp") {
      f.styp = true;
      ++i;
    }
    if (i + 1 >= boxes.size() || boxes[i].type != "moof" || boxes[i + 1].type != "mdat") {
      return "expected moof + mdat at box " + std::to_string(i);
    }
    const Box& moof = boxes[i];
    const Box& mdat = boxes[i + 1];
    i += 2;
    const Box* mfhd = moof.find("mfhd");
    const Box* tfhd = moof.find("traf/tfhd");
    const Box* tfdt = moof.find("traf/tfdt");
    const Box* trunBox = moof.find("traf/trun");
    if (!mfhd || !tfhd || !tfdt || !trunBox) return "moof without mfhd/tfhd/tfdt/trun";
    if (mfhd->body.size() != 8 || tfhd->body.size() != 8) return "bad mfhd or tfhd size";
    if (tfdt->version() != 1 || tfdt->body.size() != 12) return "tfdt is not version 1";
    f.sequenceNumber = readU32(mfhd->body, 4);
    f.baseDecodeTime = readU64(tfdt->body, 4);
    auto trun = parseTrun(*trunBox);
    if (!trun) return "trun size does not match its samples";
    f.trun = *trun;
    f.moofOffset = moof.offset;
    f.mdatPayloadOffset = mdat.offset + 8;
    f.mdatPayloadSize = mdat.size - 8;
    uint64_t total = 0;
    for (const TrunSample& s : f.trun.samples) total += s.size;
    if (total != f.mdatPayloadSize) return "sample sizes do not fill mdat";
    if (f.trun.samples.empty()) return "trun without samples";
    if (moof.offset + static_cast<size_t>(f.trun.dataOffset) != f.mdatPayloadOffset) {
      return "data_offset does not point at the mdat payload";
    }
    out.push_back(std::move(f));
  }
  return {};
}

}  // namespace tidecast::delivery::cmaf::testutil
