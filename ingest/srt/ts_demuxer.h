// MPEG-TS -> elementary access units, with libavformat's mpegts demuxer reading through a
// custom AVIOContext from a caller-supplied read function (an SRT connection's receive queue,
// or a fuzzer's bytes). The read function may block: this runs on a connection's demux
// thread, never on a loop. The demuxer is opened with small probing limits (no
// avformat_find_stream_info: codec details come from the bitstream itself), so a viewer can
// join as soon as the PAT/PMT and the first keyframe have arrived.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "core/result.h"
#include "ingest/srt/ts_media_converter.h"

namespace tidecast::ingest::srt {

inline constexpr int kDemuxIoBufferBytes = 64 * 1024;
inline constexpr int64_t kDemuxProbeBytes = 188 * 1024;  // PAT/PMT search at start

class TsDemuxer {
 public:
  // Fills `buffer` with up to `size` bytes and returns how many; 0 at the end of the input.
  using Read = std::function<int(uint8_t* buffer, int size)>;

  explicit TsDemuxer(Read read);
  ~TsDemuxer();
  TsDemuxer(const TsDemuxer&) = delete;
  TsDemuxer& operator=(const TsDemuxer&) = delete;

  // Reads the program tables. Error code srt.demux_open.
  core::Status open();
  // The next access unit, or an error: srt.demux_end at the end of the input, srt.demux_read
  // for anything libavformat gives up on. Units of codecs the hub does not carry are skipped.
  // `unit.data` stays valid until the next call.
  core::Result<ElementaryUnit> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tidecast::ingest::srt
