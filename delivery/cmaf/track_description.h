// What a CMAF track is, from the publisher's decoder configuration: the codec, its sample
// entry data, the timescale and the facts playlists advertise (codec string, resolution,
// frame rate, sample rate, channels). One per track and init-segment version.
#pragma once

#include <cstdint>
#include <string>

#include "core/media/media_packet.h"
#include "core/result.h"
#include "core/slice.h"

namespace tidecast::delivery::cmaf {

inline constexpr uint32_t kVideoTimescale = 90000;

struct TrackDescription {
  core::media::TrackType type = core::media::TrackType::kVideo;
  core::media::Codec codec = core::media::Codec::kUnknown;
  uint32_t timescale = kVideoTimescale;
  uint32_t width = 0;  // video
  uint32_t height = 0;
  double fps = 0;
  uint32_t sampleRate = 0;  // audio
  uint8_t channels = 0;
  uint16_t opusPreSkip = 0;
  // Audio: samples per coded frame when fixed (AAC 1024, HE-AAC 2048 at the output rate); 0 when
  // durations come from timestamps.
  uint32_t samplesPerFrame = 0;
  std::string codecString;  // RFC 6381
  core::Slice config;       // avcC / hvcC / av1C record, AudioSpecificConfig, OpusHead
};

// From a configuration packet (config set): avcC, hvcC, av1C, AAC AudioSpecificConfig or an
// Opus identification header ("OpusHead"). Error codes: cmaf.unsupported_codec,
// media.invalid (from the parsers).
core::Result<TrackDescription> describeTrack(const core::media::MediaPacket& config);

// An Opus track without a configuration packet: 48 kHz stereo, no pre-skip.
TrackDescription defaultOpusTrack();

}  // namespace tidecast::delivery::cmaf
