// The in-process publisher: encodes the synthetic picture (and tone) in real time and muxes
// FLV with libavformat to an RTMP URL (or any URL or file libavformat can write). Every video
// access unit carries a latency stamp (sei_stamp.h) whose clock is read just before the packet
// is handed to the muxer, which then writes and flushes it at once.
//
// start() runs on the caller's thread; the paced encode/write loop runs on the publisher's own
// thread until stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "bench/latency/av_handles.h"
#include "bench/latency/encoders.h"

namespace tidecast::bench::latency {

struct PublisherOptions {
  std::string url;  // rtmp://127.0.0.1:PORT/APP/KEY
  bool audio = true;
  VideoSettings video;
};

struct PublisherStats {
  uint64_t videoFrames = 0;
  uint64_t audioFrames = 0;
  uint64_t lateFrames = 0;  // pictures encoded more than one frame interval behind schedule
  double maxWriteMs = 0;    // longest time the muxer took to write one video packet
  std::string error;        // why publishing stopped early, if it did
};

class Publisher {
 public:
  explicit Publisher(PublisherOptions options);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Opens the encoders and the output (for RTMP: connects and publishes), then starts the
  // paced loop. False with `error` set if any of that fails.
  bool start(std::string& error);
  // Ends the loop and closes the output. Idempotent.
  void stop();

  PublisherStats stats() const;

 private:
  bool openOutput(std::string& error);
  void run();
  bool encodeVideo(int64_t index);
  bool encodeAudioUntil(int64_t videoIndex);
  bool drain(AVCodecContext& encoder, int streamIndex);
  bool write(AVPacket& packet, int streamIndex);
  void fail(const std::string& why);

  PublisherOptions options_;
  CodecContextPtr video_;
  CodecContextPtr audio_;
  OutputContextPtr output_;
  FramePtr picture_;
  FramePtr samples_;
  PacketPtr packet_;
  int64_t audioNextSample_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> abortAtMicros_{INT64_MAX};  // steady clock; I/O aborts past it
  std::thread thread_;
  mutable std::mutex mutex_;
  PublisherStats stats_;
};

}  // namespace tidecast::bench::latency
