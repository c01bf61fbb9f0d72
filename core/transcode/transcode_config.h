// The `transcode:` section: the worker pool and the named ABR ladders (core/transcode).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace tidecast::core {

// One rung of an ABR ladder: an H.264 rendition encoded with libx264.
struct RenditionConfig {
  std::string name;                 // the rung's stream "app/key/<name>" and its URL segment
  uint32_t width = 0;               // 0: from height, keeping the source's aspect ratio
  uint32_t height = 0;              // 0: from width; both 0: the source's size
  uint32_t fps = 0;                 // 0: the source's frame rate
  uint32_t videoBitrate = 1000000;  // bits/s (x264 ABR target)
  uint32_t maxrate = 0;             // VBV bits/s; 0: video_bitrate
  uint32_t bufsize = 0;             // VBV bits; 0: maxrate (one second)
  std::string profile = "main";     // baseline | main | high: the highest libx264 may use
  std::string preset = "veryfast";
  uint32_t bframes = 0;  // B-frames (0 keeps latency lowest)
  bool operator==(const RenditionConfig&) const = default;
};

struct LadderConfig {
  std::string name;
  bool source = true;  // the source itself is a variant too (passthrough)
  std::vector<RenditionConfig> renditions;
  bool operator==(const LadderConfig&) const = default;
};

// In-process transcoding: a worker pool shared by every job.
struct TranscodeConfig {
  uint32_t workers = 2;            // worker threads
  uint32_t maxQueueFrames = 60;    // frames waiting per job; past it frames are dropped
  uint32_t encoderThreads = 1;     // libx264 threads per rendition encoder
  uint32_t maxJobs = 8;            // jobs at once; streams past it are not transcoded
  uint32_t audioBitrate = 128000;  // AAC-LC bits/s when the source's audio is not AAC
  std::vector<LadderConfig> ladders;
  const LadderConfig* find(const std::string& name) const;
  bool operator==(const TranscodeConfig&) const = default;
};

const ConfigSection& transcodeConfigSection();

}  // namespace tidecast::core
