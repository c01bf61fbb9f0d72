// The audio track every variant of a stream shares (the HLS "audio" group, the MPD's audio
// AdaptationSet): the source's own, unless it is not AAC and the transcoder gave the
// renditions an AAC track (core/transcode encodes it once and every rendition carries it),
// which is then the one advertised (mp4a.40.2 plays everywhere; Opus in fMP4 does not).
#pragma once

#include <string>
#include <vector>

#include "delivery/cmaf/stream_packager.h"

namespace tidecast::delivery::cmaf {

struct VariantAudio {
  StreamPackager* packager = nullptr;  // the source, or the rendition whose track it is
  CmafTrack* track = nullptr;          // null: no audio
  std::string prefix;                  // "" (the source's) or "<rung>/"
};

VariantAudio variantAudio(StreamPackager& source, const std::vector<StreamPackager*>& renditions);

}  // namespace tidecast::delivery::cmaf
