// Error codes shared by the media parsers (codec configurations, parameter sets, FLV tags).
// Every parser in core/media turns hostile or unexpected bytes into one of these, never a
// crash. Callers decide what a code means for a connection:
//   media.truncated    the bytes end before the structure does
//   media.invalid      a field holds a value the specification forbids
//   media.unsupported  well-formed, but a codec or feature tidecast does not handle (VP9,
//                      multitrack, ...): log once and drop the packet or refuse the stream
//   media.ignored      a valid message that carries no media (a video command frame, an
//                      Enhanced RTMP metadata frame, an audio silence message): drop silently
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace tidecast::core::media {

inline constexpr std::string_view kErrTruncated = "media.truncated";
inline constexpr std::string_view kErrInvalid = "media.invalid";
inline constexpr std::string_view kErrUnsupported = "media.unsupported";
inline constexpr std::string_view kErrIgnored = "media.ignored";

inline Error truncatedError(std::string message) {
  return makeError(std::string(kErrTruncated), std::move(message));
}
inline Error invalidError(std::string message) {
  return makeError(std::string(kErrInvalid), std::move(message));
}
inline Error unsupportedError(std::string message) {
  return makeError(std::string(kErrUnsupported), std::move(message));
}
inline Error ignoredError(std::string message) {
  return makeError(std::string(kErrIgnored), std::move(message));
}

}  // namespace tidecast::core::media
