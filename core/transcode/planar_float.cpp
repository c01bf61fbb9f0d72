#include "core/transcode/planar_float.h"

#include <cstdint>

namespace tidecast::core::transcode {

namespace {

constexpr float kS16Scale = 1.0f / 32768.0f;
constexpr float kS32Scale = 1.0f / 2147483648.0f;

template <typename Sample>
float toFloat(Sample s);
template <>
float toFloat<float>(float s) {
  return s;
}
template <>
float toFloat<int16_t>(int16_t s) {
  return static_cast<float>(s) * kS16Scale;
}
template <>
float toFloat<int32_t>(int32_t s) {
  return static_cast<float>(s) * kS32Scale;
}

template <typename Sample>
void convert(const AVFrame& frame, bool planar, std::vector<std::vector<float>>& planes) {
  const int channels = frame.ch_layout.nb_channels;
  const size_t samples = static_cast<size_t>(frame.nb_samples);
  for (int c = 0; c < channels; ++c) {
    std::vector<float>& plane = planes[static_cast<size_t>(c)];
    if (planar) {
      const auto* in = reinterpret_cast<const Sample*>(frame.extended_data[c]);
      for (size_t i = 0; i < samples; ++i) plane[i] = toFloat<Sample>(in[i]);
    } else {
      const auto* in = reinterpret_cast<const Sample*>(frame.extended_data[0]);
      const auto stride = static_cast<size_t>(channels);
      for (size_t i = 0; i < samples; ++i) plane[i] = toFloat<Sample>(in[i * stride + c]);
    }
  }
}

}  // namespace

bool planarFloatSupported(int format) {
  switch (format) {
    case AV_SAMPLE_FMT_FLTP:
    case AV_SAMPLE_FMT_FLT:
    case AV_SAMPLE_FMT_S16P:
    case AV_SAMPLE_FMT_S16:
    case AV_SAMPLE_FMT_S32P:
    case AV_SAMPLE_FMT_S32:
      return true;
    default:
      return false;
  }
}

void toPlanarFloat(const AVFrame& frame, std::vector<std::vector<float>>& planes) {
  planes.resize(static_cast<size_t>(frame.ch_layout.nb_channels));
  for (auto& plane : planes) plane.resize(static_cast<size_t>(frame.nb_samples));
  switch (frame.format) {
    case AV_SAMPLE_FMT_FLTP:
    case AV_SAMPLE_FMT_FLT:
      convert<float>(frame, frame.format == AV_SAMPLE_FMT_FLTP, planes);
      break;
    case AV_SAMPLE_FMT_S16P:
    case AV_SAMPLE_FMT_S16:
      convert<int16_t>(frame, frame.format == AV_SAMPLE_FMT_S16P, planes);
      break;
    case AV_SAMPLE_FMT_S32P:
    case AV_SAMPLE_FMT_S32:
      convert<int32_t>(frame, frame.format == AV_SAMPLE_FMT_S32P, planes);
      break;
    default:
      break;
  }
}

}  // namespace tidecast::core::transcode
