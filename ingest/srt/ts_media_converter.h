// Elementary stream access units as the MPEG-TS demuxer delivers them -> MediaPackets for
// the hub: H.264/HEVC Annex B to 4-byte length prefixes with the parameter sets moved into an
// avcC/hvcC configuration packet (sent again whenever they change), AAC ADTS frames to raw
// frames plus an AudioSpecificConfig, Opus as is (its OpusHead from the demuxer), MP2/MP3 frame
// by frame (no configuration: each frame's header says it all). Packets of a
// track are held back until its configuration is known, and video until its first keyframe.
// Timestamps go through one TimestampMapper per connection. Payloads are copied once, into
// the Slice that then travels everywhere. One thread (the connection's demux thread).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/media/bytes.h"
#include "core/media/media_packet.h"
#include "core/result.h"
#include "ingest/srt/timestamp_mapper.h"

namespace tidecast::ingest::srt {

inline constexpr size_t kMaxAccessUnitBytes = 8 * 1024 * 1024;  // one frame from a publisher
inline constexpr int64_t kNoTimestamp = INT64_MIN;

struct ElementaryUnit {
  int track = 0;  // the demuxer's stream index
  core::media::Codec codec = core::media::Codec::kUnknown;
  core::media::ByteSpan data;
  int64_t pts90k = kNoTimestamp;
  int64_t dts90k = kNoTimestamp;
  int64_t duration90k = 0;          // from the demuxer's parser, 0 if unknown
  core::media::ByteSpan extradata;  // Opus: OpusHead
};

struct ConverterStats {
  uint64_t droppedUnits = 0;  // malformed, oversized, or before configuration / keyframe
  uint64_t configChanges = 0;
};

class TsMediaConverter {
 public:
  using Output = std::function<void(core::media::MediaPacketPtr)>;
  explicit TsMediaConverter(Output output) : output_(std::move(output)) {}

  // Converts one access unit. A unit that cannot be converted is dropped and counted; the
  // error says why (media.* codes of core/media, srt.too_large).
  core::Status push(const ElementaryUnit& unit);

  const ConverterStats& stats() const { return stats_; }
  uint64_t discontinuities() const { return clock_.discontinuities(); }

 private:
  struct Track {
    int index = -1;
    core::media::Bytes config;  // last configuration sent
    bool keyframeSeen = false;
    int64_t last90k = kNoTimestamp;  // last decode time seen or derived
    int64_t duration90k = 0;         // of the last unit: to time a unit that carries none
  };
  Track& track(int index);
  core::Status pushVideo(Track& track, const ElementaryUnit& unit, int64_t dtsMs, int64_t ptsMs);
  core::Status pushAac(Track& track, const ElementaryUnit& unit, int64_t dtsMs);
  core::Status pushOpus(Track& track, const ElementaryUnit& unit, int64_t dtsMs);
  // MP2, MP3: whole frames, header included, no configuration.
  core::Status pushMpegAudio(Track& track, const ElementaryUnit& unit, int64_t dtsMs);
  void sendConfig(Track& track, core::media::TrackType type, core::media::Codec codec,
                  core::media::Bytes config, int64_t dtsMs);
  void send(core::media::MediaPacket packet);

  Output output_;
  TimestampMapper clock_;
  std::vector<Track> tracks_;
  ConverterStats stats_;
};

}  // namespace tidecast::ingest::srt
