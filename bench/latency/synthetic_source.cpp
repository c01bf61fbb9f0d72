#include "bench/latency/synthetic_source.h"

#include <cmath>
#include <numbers>

namespace tidecast::bench::latency {
namespace {

constexpr int kStripePeriod = 64;
constexpr int kBoxSize = 80;
constexpr double kToneHz = 440;
constexpr double kToneAmplitude = 0.1;  // -20 dBFS

uint8_t* row(AVFrame& frame, int plane, int y) {
  return frame.data[plane] + static_cast<ptrdiff_t>(y) * frame.linesize[plane];
}

void drawStripes(AVFrame& frame, int64_t index) {
  auto shift = static_cast<int>(index * 3);
  for (int y = 0; y < frame.height; ++y) {
    uint8_t* line = row(frame, 0, y);
    for (int x = 0; x < frame.width; ++x) {
      int phase = (x + y + shift) % kStripePeriod;
      line[x] = static_cast<uint8_t>(40 + phase * 2);
    }
  }
  for (int y = 0; y < frame.height / 2; ++y) {
    uint8_t* u = row(frame, 1, y);
    uint8_t* v = row(frame, 2, y);
    for (int x = 0; x < frame.width / 2; ++x) {
      u[x] = static_cast<uint8_t>(128 + (x + index) % 64 - 32);
      v[x] = static_cast<uint8_t>(128 + (y * 2) % 64 - 32);
    }
  }
}

void drawBox(AVFrame& frame, int64_t index) {
  int span = frame.width - kBoxSize;
  auto x0 = static_cast<int>((index * 7) % (int64_t{2} * span));
  if (x0 > span) x0 = 2 * span - x0;  // back and forth
  int y0 = (frame.height - kBoxSize) / 2;
  for (int y = y0; y < y0 + kBoxSize; ++y) {
    uint8_t* line = row(frame, 0, y);
    for (int x = x0; x < x0 + kBoxSize; ++x) line[x] = 235;
  }
}

// The bottom eighth of the picture: fresh pseudo-random luma every picture.
void drawNoise(AVFrame& frame, int64_t index) {
  auto state = static_cast<uint32_t>(index * 2654435761u + 1);
  for (int y = frame.height - frame.height / 8; y < frame.height; ++y) {
    uint8_t* line = row(frame, 0, y);
    for (int x = 0; x < frame.width; ++x) {
      state = state * 1664525u + 1013904223u;
      line[x] = static_cast<uint8_t>(64 + (state >> 25));
    }
  }
}

}  // namespace

void drawTestPicture(AVFrame& frame, int64_t index) {
  drawStripes(frame, index);
  drawBox(frame, index);
  drawNoise(frame, index);
}

void fillSine(AVFrame& frame, int64_t firstSample) {
  const double step = 2 * std::numbers::pi * kToneHz / frame.sample_rate;
  for (int c = 0; c < frame.ch_layout.nb_channels; ++c) {
    auto* out = reinterpret_cast<float*>(frame.extended_data[c]);
    for (int i = 0; i < frame.nb_samples; ++i) {
      out[i] = static_cast<float>(kToneAmplitude *
                                  std::sin(step * static_cast<double>(firstSample + i)));
    }
  }
}

}  // namespace tidecast::bench::latency
