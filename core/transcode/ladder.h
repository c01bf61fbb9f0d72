// What an ABR ladder means for one source: each rung's output size and frame rate from the
// source's, and the libx264 settings that keep renditions switchable (IDRs only where the
// source has keyframes, no scene-cut keyframes, VBV-bounded bitrate). Pure functions: the
// worker side (ladder_pipeline) and the tests use them.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/transcode/transcode_config.h"

namespace tidecast::core::transcode {

struct FrameSize {
  uint32_t width = 0;
  uint32_t height = 0;
  bool operator==(const FrameSize&) const = default;
};

// The rung's output size for a source of `source`: the configured size, with a 0 side
// computed from the source's aspect ratio, rounded to even numbers (4:2:0), never larger than
// the source (a rung taller than the source keeps the source's size).
FrameSize scaledSize(FrameSize source, uint32_t width, uint32_t height);

// The rung's frame rate: the configured one when lower than the source's, else the source's
// (0 when neither is known).
double outputFrameRate(double sourceFps, uint32_t configuredFps);

// Picks the frames a rung with a lower frame rate keeps: every keyframe (the segment
// boundaries every rendition shares) and, between them, one frame per output interval.
class FrameDecimator {
 public:
  // `intervalMs` 0 keeps every frame.
  explicit FrameDecimator(double intervalMs = 0) : intervalMs_(intervalMs) {}
  bool keep(int64_t ptsMs, bool keyframe);

 private:
  double intervalMs_;
  double nextMs_ = 0;
  bool started_ = false;
};

// libx264 private options ("preset", "tune", "profile", "forced-idr", "x264-params") for a
// rung: zerolatency, forced IDRs, no scene cut, no periodic keyframes of its own.
std::vector<std::pair<std::string, std::string>> x264Options(const RenditionConfig& rung);

// VBV: maxrate and bufsize with their defaults applied (bits/s, bits).
uint32_t effectiveMaxrate(const RenditionConfig& rung);
uint32_t effectiveBufsize(const RenditionConfig& rung);

// Keyframe interval given to the encoder: long enough never to fire on its own; the source's
// keyframes force every IDR.
inline constexpr int kEncoderGopFrames = 100000;

}  // namespace tidecast::core::transcode
