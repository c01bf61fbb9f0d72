// Hub MediaPackets -> MPEG-TS bytes, with libavformat's mpegts muxer writing into memory (a
// custom AVIOContext), for SRT playback (m=request). The configuration packets a stream
// replays to a new sink become the muxer's extradata; the muxer itself turns avcC/hvcC
// framing into Annex B (its automatic bitstream filters) and raw AAC into ADTS; MP2/MP3 frames
// go as they are (their first frame's header gives the rate and channels). Output starts
// at the first video keyframe (or the first audio frame of an audio-only stream), once both
// tracks' configurations are known or kTrackWaitMs of media have passed; a changed
// configuration restarts the muxer (new PAT/PMT), a track appearing later is left out. Payload
// slices are handed to libavformat by reference, not copied. Muxing only, no codec work: cheap
// enough for the loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/media/media_packet.h"
#include "core/result.h"
#include "core/slice.h"

namespace tidecast::ingest::srt {

inline constexpr int kMuxIoBufferBytes = 188 * 7 * 16;
// Before the first output, how long (media time) to wait for the other track's
// configuration, and how many packets to hold meanwhile.
inline constexpr int64_t kTrackWaitMs = 1000;
inline constexpr size_t kMaxHeldPackets = 512;

class TsMuxer {
 public:
  using Output = std::function<void(core::Slice bytes)>;
  explicit TsMuxer(Output output);
  ~TsMuxer();
  TsMuxer(const TsMuxer&) = delete;
  TsMuxer& operator=(const TsMuxer&) = delete;

  // Error codes: srt.mux (libavformat refused the stream or packet). Packets that cannot be
  // muxed yet (before the first keyframe, timestamps going backwards) are skipped silently.
  core::Status push(const core::media::MediaPacket& packet);
  uint64_t skippedPackets() const { return skipped_; }

 private:
  struct Impl;
  core::Status start();
  void stop();
  bool audioReady() const;
  core::Status hold(core::media::MediaPacketPtr packet);
  core::Status write(const core::media::MediaPacket& packet);

  Output output_;
  std::unique_ptr<Impl> impl_;
  core::media::MediaPacketPtr videoConfig_;
  core::media::MediaPacketPtr audioConfig_;
  core::media::Codec videoCodec_ = core::media::Codec::kUnknown;
  core::media::Codec audioCodec_ = core::media::Codec::kUnknown;
  uint32_t mpegAudioRate_ = 0;  // MP2/MP3: from the first frame's header (no configuration)
  int mpegAudioChannels_ = 2;
  std::vector<core::media::MediaPacketPtr> held_;  // before the start
  uint64_t skipped_ = 0;
};

}  // namespace tidecast::ingest::srt
