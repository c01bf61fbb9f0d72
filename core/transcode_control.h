// What the rest of the process may ask of the in-process transcoder (core/transcode), without
// linking it: the admin API's per-stream switch and state, and whether a ladder lists the
// source as a variant (LL-HLS). core/transcode's Transcoder implements it; a plug-in offers it
// as a service (api/plugin.h), so rooms that use it never pull in libavcodec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tidecast::core {

struct TranscodeState {
  bool enabled = false;  // the app's setting, or the stream's override
  bool overridden = false;
  bool running = false;  // a job is transcoding the stream now
  std::string ladder;    // "" when none applies
  std::vector<std::string> renditions;
  uint64_t framesIn = 0;
  uint64_t framesDropped = 0;
  size_t queueDepth = 0;
  double speed = 0;  // media seconds per worker second (>= 1 keeps up with real time)
};

class TranscodeControl {
 public:
  static constexpr std::string_view kServiceName = "the transcoder (core::TranscodeControl)";
  virtual ~TranscodeControl() = default;

  // Per-stream switch ("app/key"): true / false override the app's setting, nullopt goes
  // back to it. Takes effect at once on a live stream. `ladder` (optional) picks the ladder
  // when turning on a stream whose app has none. Error codes: transcode.bad_name,
  // transcode.no_ladder.
  virtual Status setEnabled(std::string_view app, std::string_view key, std::optional<bool> enabled,
                            std::string_view ladder = {}) = 0;
  virtual TranscodeState state(std::string_view app, std::string_view key) const = 0;
  // Whether the ladder that applies to "app/key" (the app's, or the stream's override) lists
  // the source itself as a variant; true when no ladder applies.
  virtual bool sourceListed(const std::string& stream) const = 0;
};

}  // namespace tidecast::core
