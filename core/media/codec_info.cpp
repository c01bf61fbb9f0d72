#include "core/media/codec_info.h"

#include "core/media/aac.h"
#include "core/media/av1.h"
#include "core/media/h264.h"
#include "core/media/hevc.h"

namespace tidecast::core::media {

namespace {
template <class Config>
Result<VideoInfo> infoOf(Result<Config> parsed) {
  if (!parsed) return parsed.error();
  return videoInfoOf(*parsed);
}
}  // namespace

Result<VideoInfo> videoInfoFromConfig(const MediaPacket& config) {
  ByteSpan record(config.data.data(), config.data.size());
  switch (config.codec) {
    case Codec::kH264:
      return infoOf(parseAvcConfig(record));
    case Codec::kHevc:
      return infoOf(parseHevcConfig(record));
    case Codec::kAv1:
      return infoOf(parseAv1Config(record));
    default:
      return makeError("media.unsupported",
                       "no configuration parser for " + std::string(codecName(config.codec)));
  }
}

Result<AudioInfo> audioInfoFromConfig(const MediaPacket& config) {
  if (config.codec != Codec::kAac) {
    return makeError("media.unsupported",
                     "no configuration parser for " + std::string(codecName(config.codec)));
  }
  return parseAudioSpecificConfig(ByteSpan(config.data.data(), config.data.size()));
}

}  // namespace tidecast::core::media
