// A synthetic H.264 source for the transcode tests: libx264 (through libavcodec) encodes a
// moving gradient with B-frames and a keyframe every `gop` frames, and hands out the
// MediaPackets an RTMP publisher would produce (avcC configuration, length-prefixed frames,
// millisecond DTS and composition offsets).
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/opt.h>
}

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "core/media/flv_tag.h"
#include "core/media/h264.h"
#include "core/media/media_packet.h"
#include "core/media/nal_units.h"
#include "core/transcode/av_ptr.h"

namespace tidecast::core::transcode::testing {

class SourceEncoder {
 public:
  SourceEncoder(int width, int height, int fps, int gop, int bframes = 2)
      : fps_(fps), frame_(av_frame_alloc()), packet_(av_packet_alloc()) {
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    context_.reset(avcodec_alloc_context3(codec));
    context_->width = width;
    context_->height = height;
    context_->pix_fmt = AV_PIX_FMT_YUV420P;
    context_->time_base = AVRational{1, 1000};
    context_->framerate = AVRational{fps, 1};
    context_->gop_size = gop;
    context_->keyint_min = gop;
    context_->max_b_frames = bframes;
    context_->bit_rate = 500000;
    context_->thread_count = 1;
    context_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* options = nullptr;
    av_dict_set(&options, "preset", "ultrafast", 0);
    av_dict_set(&options, "x264-params", ("scenecut=0:bframes=" + std::to_string(bframes)).c_str(),
                0);
    int err = avcodec_open2(context_.get(), codec, &options);
    av_dict_free(&options);
    EXPECT_GE(err, 0) << avError(err);
    frame_->width = width;
    frame_->height = height;
    frame_->format = AV_PIX_FMT_YUV420P;
    EXPECT_GE(av_frame_get_buffer(frame_.get(), 0), 0);
  }

  // The avcC configuration packet.
  media::MediaPacketPtr config() const {
    std::vector<media::ByteSpan> sps, pps;
    media::AnnexBNalReader reader(
        media::ByteSpan(context_->extradata, static_cast<size_t>(context_->extradata_size)));
    while (auto nal = reader.next()) {
      uint8_t type = media::h264NalType((*nal)[0]);
      if (type == media::kH264NalSps) sps.push_back(*nal);
      if (type == media::kH264NalPps) pps.push_back(*nal);
    }
    auto record = media::buildAvcConfig(sps, pps);
    auto packet = std::make_shared<media::MediaPacket>();
    packet->codec = media::Codec::kH264;
    packet->config = true;
    packet->data = Slice::copyOf(record->data(), record->size());
    packet->flvHeader = media::makeFlvHeader(*packet);
    return packet;
  }

  // Encodes `count` more frames; returns the packets produced so far (decode order).
  std::vector<media::MediaPacketPtr> encode(int count) {
    std::vector<media::MediaPacketPtr> out;
    for (int i = 0; i < count; ++i) {
      EXPECT_GE(av_frame_make_writable(frame_.get()), 0);
      for (int plane = 0; plane < 3; ++plane) {
        int h = plane == 0 ? frame_->height : frame_->height / 2;
        for (int y = 0; y < h; ++y) {
          for (int x = 0; x < frame_->linesize[plane]; ++x) {
            frame_->data[plane][y * frame_->linesize[plane] + x] =
                static_cast<uint8_t>(x + y + next_ * 3 + plane * 40);
          }
        }
      }
      frame_->pts = next_ * 1000 / fps_;
      ++next_;
      EXPECT_GE(avcodec_send_frame(context_.get(), frame_.get()), 0);
      drain(out);
    }
    return out;
  }

  std::vector<media::MediaPacketPtr> finish() {
    std::vector<media::MediaPacketPtr> out;
    avcodec_send_frame(context_.get(), nullptr);
    drain(out);
    return out;
  }

 private:
  void drain(std::vector<media::MediaPacketPtr>& out) {
    while (avcodec_receive_packet(context_.get(), packet_.get()) == 0) {
      auto packet = std::make_shared<media::MediaPacket>();
      packet->codec = media::Codec::kH264;
      // RTMP carries no negative times: shift by one second like a publisher's start offset.
      packet->dts = packet_->dts + 1000;
      packet->cts = static_cast<int32_t>(packet_->pts - packet_->dts);
      packet->keyframe = (packet_->flags & AV_PKT_FLAG_KEY) != 0;
      media::Bytes avcc = media::annexBToLengthPrefixed(
          media::ByteSpan(packet_->data, static_cast<size_t>(packet_->size)));
      packet->data = Slice::copyOf(avcc.data(), avcc.size());
      packet->flvHeader = media::makeFlvHeader(*packet);
      out.push_back(packet);
      av_packet_unref(packet_.get());
    }
  }

  int fps_;
  int64_t next_ = 0;
  CodecContextPtr context_;
  FramePtr frame_;
  PacketPtr packet_;
};

}  // namespace tidecast::core::transcode::testing
