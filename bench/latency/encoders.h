// The publisher's encoders, opened through libavcodec.
#pragma once

#include <cstdint>
#include <string>

#include "bench/latency/av_handles.h"

namespace tidecast::bench::latency {

struct VideoSettings {
  int width = 640;
  int height = 360;
  int fps = 30;
  int gop = 30;                 // frames between IDRs: 1 s at 30 fps
  int64_t bitRate = 1'000'000;  // bit/s, also the VBV maximum rate and buffer
};

// libx264: preset veryfast, tune zerolatency (no B-frames, no lookahead: one packet out for
// every picture in), an IDR exactly every `gop` pictures (no scene-cut keyframes), one thread,
// global header (SPS/PPS in extradata as the FLV sequence header wants; packets are Annex B
// and the FLV muxer converts them to AVCC). Time base 1/fps. Null with `error` set on failure.
CodecContextPtr openVideoEncoder(const VideoSettings& settings, std::string& error);

// AAC (FFmpeg's encoder), 48 kHz mono, 64 kbit/s, planar float input, time base 1/48000.
CodecContextPtr openAudioEncoder(std::string& error);

}  // namespace tidecast::bench::latency
