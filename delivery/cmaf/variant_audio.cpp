#include "delivery/cmaf/variant_audio.h"

namespace tidecast::delivery::cmaf {

VariantAudio variantAudio(StreamPackager& source, const std::vector<StreamPackager*>& renditions) {
  VariantAudio result{&source, source.audio(), ""};
  if (result.track != nullptr && result.track->description().codec == core::media::Codec::kAac) {
    return result;
  }
  for (StreamPackager* rendition : renditions) {
    CmafTrack* audio = rendition->audio();
    if (audio == nullptr || audio->description().codec != core::media::Codec::kAac) continue;
    std::string_view name = rendition->name();
    return {rendition, audio, std::string(name.substr(name.rfind('/') + 1)) + "/"};
  }
  return result;
}

}  // namespace tidecast::delivery::cmaf
