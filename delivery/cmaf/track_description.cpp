#include "delivery/cmaf/track_description.h"

#include "core/media/codec_info.h"

namespace tidecast::delivery::cmaf {

namespace media = core::media;

namespace {

uint16_t readLe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// RFC 7845 5.1: "OpusHead", version, channel count, pre-skip (LE), input rate (LE), ...
core::Result<TrackDescription> describeOpus(const media::MediaPacket& config) {
  TrackDescription track = defaultOpusTrack();
  track.config = config.data;
  auto head = config.data.view();
  if (head.size() < 19 || head.substr(0, 8) != "OpusHead") {
    return core::makeError("media.invalid", "Opus configuration is not an OpusHead");
  }
  const auto* p = config.data.data();
  track.channels = p[9];
  track.opusPreSkip = readLe16(p + 10);
  if (track.channels == 0) return core::makeError("media.invalid", "OpusHead with 0 channels");
  return track;
}

}  // namespace

TrackDescription defaultOpusTrack() {
  TrackDescription track;
  track.type = media::TrackType::kAudio;
  track.codec = media::Codec::kOpus;
  track.timescale = 48000;
  track.sampleRate = 48000;
  track.channels = 2;
  track.codecString = "opus";
  return track;
}

core::Result<TrackDescription> describeTrack(const media::MediaPacket& config) {
  switch (config.codec) {
    case media::Codec::kH264:
    case media::Codec::kHevc:
    case media::Codec::kAv1: {
      auto info = media::videoInfoFromConfig(config);
      if (!info) return info.error();
      TrackDescription track;
      track.type = media::TrackType::kVideo;
      track.codec = config.codec;
      track.timescale = kVideoTimescale;
      track.width = info->width;
      track.height = info->height;
      track.fps = info->fps;
      track.codecString = info->codecString;
      track.config = config.data;
      return track;
    }
    case media::Codec::kAac: {
      auto info = media::audioInfoFromConfig(config);
      if (!info) return info.error();
      if (info->sampleRate == 0) return core::makeError("media.invalid", "AAC sample rate 0");
      TrackDescription track;
      track.type = media::TrackType::kAudio;
      track.codec = config.codec;
      track.timescale = info->sampleRate;
      track.sampleRate = info->sampleRate;
      track.channels = info->channels == 0 ? 2 : info->channels;
      track.codecString = info->codecString;
      track.config = config.data;
      bool sbr = info->objectType == 5 || info->objectType == 29;
      track.samplesPerFrame = sbr ? 2048 : 1024;
      return track;
    }
    case media::Codec::kOpus:
      return describeOpus(config);
    default:
      return core::makeError("cmaf.unsupported_codec",
                             "CMAF cannot carry " + std::string(media::codecName(config.codec)));
  }
}

}  // namespace tidecast::delivery::cmaf
