#include "core/transcode/ladder.h"

#include <algorithm>
#include <cmath>

namespace tidecast::core::transcode {

namespace {

uint32_t even(double value) {
  auto rounded = static_cast<uint32_t>(std::lround(value / 2.0)) * 2;
  return std::max<uint32_t>(rounded, 2);
}

}  // namespace

FrameSize scaledSize(FrameSize source, uint32_t width, uint32_t height) {
  if (source.width == 0 || source.height == 0) return {};
  FrameSize out;
  if (width == 0 && height == 0) {
    out = source;
  } else if (width == 0) {
    out = {static_cast<uint32_t>(
               std::lround(static_cast<double>(source.width) * height / source.height)),
           height};
  } else if (height == 0) {
    out = {width, static_cast<uint32_t>(
                      std::lround(static_cast<double>(source.height) * width / source.width))};
  } else {
    out = {width, height};
  }
  if (out.width > source.width || out.height > source.height) out = source;
  return {even(out.width), even(out.height)};
}

double outputFrameRate(double sourceFps, uint32_t configuredFps) {
  if (configuredFps == 0) return sourceFps;
  if (sourceFps <= 0) return configuredFps;
  return std::min<double>(sourceFps, configuredFps);
}

bool FrameDecimator::keep(int64_t ptsMs, bool keyframe) {
  if (intervalMs_ <= 0) return true;
  auto pts = static_cast<double>(ptsMs);
  // Half a source frame of slack: 30 -> 15 fps keeps every other frame despite ms rounding.
  if (keyframe || !started_ || pts + intervalMs_ / 4 >= nextMs_) {
    started_ = true;
    // A frame far past the schedule (a gap) restarts it instead of bursting to catch up.
    nextMs_ = (keyframe || pts > nextMs_ + intervalMs_) ? pts + intervalMs_ : nextMs_ + intervalMs_;
    return true;
  }
  return false;
}

uint32_t effectiveMaxrate(const RenditionConfig& rung) {
  return rung.maxrate != 0 ? rung.maxrate : rung.videoBitrate;
}

uint32_t effectiveBufsize(const RenditionConfig& rung) {
  return rung.bufsize != 0 ? rung.bufsize : effectiveMaxrate(rung);
}

std::vector<std::pair<std::string, std::string>> x264Options(const RenditionConfig& rung) {
  return {
      {"preset", rung.preset},
      {"tune", "zerolatency"},
      {"profile", rung.profile},
      {"forced-idr", "1"},
      // No keyframe unless forced (scenecut), closed GOPs: segments cut only where the
      // source's keyframes are, in every rendition alike.
      {"x264-params", "scenecut=0:open-gop=0:bframes=" + std::to_string(rung.bframes)},
  };
}

}  // namespace tidecast::core::transcode
