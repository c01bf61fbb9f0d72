#include "core/media/media_packet.h"

namespace tidecast::core::media {

std::string_view codecName(Codec codec) {
  switch (codec) {
    case Codec::kH264:
      return "h264";
    case Codec::kHevc:
      return "hevc";
    case Codec::kAv1:
      return "av1";
    case Codec::kAac:
      return "aac";
    case Codec::kOpus:
      return "opus";
    case Codec::kMp3:
      return "mp3";
    case Codec::kMp2:
      return "mp2";
    case Codec::kAmfData:
      return "amf0";
    case Codec::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace tidecast::core::media
