// What a decoder configuration says about its track: resolution, profile, level, codec
// string (video); sample rate, channels (audio). Dispatches on the packet's codec.
#pragma once

#include "core/media/audio_info.h"
#include "core/media/media_packet.h"
#include "core/media/video_info.h"
#include "core/result.h"

namespace tidecast::core::media {

// `config` is a packet with config set: avcC, hvcC, av1C.
Result<VideoInfo> videoInfoFromConfig(const MediaPacket& config);
// `config` is an AudioSpecificConfig (AAC). Other codecs: media.unsupported.
Result<AudioInfo> audioInfoFromConfig(const MediaPacket& config);

}  // namespace tidecast::core::media
