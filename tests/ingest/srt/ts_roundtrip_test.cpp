// TsDemuxer + TsMediaConverter on real ffmpeg output (the ts_demux fuzz seeds), and TsMuxer
// back to MPEG-TS and through the demuxer again: the packets survive the round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/media/aac.h"
#include "core/media/h264.h"
#include "core/media/hevc.h"
#include "core/media/mpeg_audio.h"
#include "core/media/nal_units.h"
#include "ingest/srt/ts_demuxer.h"
#include "ingest/srt/ts_media_converter.h"
#include "ingest/srt/ts_muxer.h"

namespace tidecast::ingest::srt {
namespace {

namespace media = core::media;

std::string readSeed(const std::string& name) {
  std::ifstream in(std::string(TIDECAST_SOURCE_DIR) + "/tests/fuzz/corpus/ts_demux/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::vector<media::MediaPacketPtr> demux(const std::string& bytes, size_t pieceSize = 1316) {
  size_t offset = 0;
  TsDemuxer demuxer([&](uint8_t* buffer, int max) {
    size_t n = std::min({bytes.size() - offset, static_cast<size_t>(max), pieceSize});
    std::memcpy(buffer, bytes.data() + offset, n);
    offset += n;
    return static_cast<int>(n);
  });
  std::vector<media::MediaPacketPtr> packets;
  EXPECT_TRUE(demuxer.open());
  TsMediaConverter converter([&](media::MediaPacketPtr p) { packets.push_back(std::move(p)); });
  for (;;) {
    auto unit = demuxer.next();
    if (!unit) {
      EXPECT_EQ(unit.error().code, "srt.demux_end");
      break;
    }
    (void)converter.push(*unit);
  }
  return packets;
}

// As Stream::addSink replays them to a new player: the configurations first, then the rest.
std::vector<media::MediaPacketPtr> configsFirst(std::vector<media::MediaPacketPtr> packets) {
  std::stable_partition(packets.begin(), packets.end(), [](auto& p) { return p->config; });
  return packets;
}

struct Counts {
  int videoConfigs = 0, audioConfigs = 0, videoFrames = 0, audioFrames = 0, keyframes = 0;
};

Counts count(const std::vector<media::MediaPacketPtr>& packets) {
  Counts c;
  for (const auto& p : packets) {
    bool video = p->track == media::TrackType::kVideo;
    if (p->config) {
      (video ? c.videoConfigs : c.audioConfigs)++;
    } else {
      (video ? c.videoFrames : c.audioFrames)++;
      if (video && p->keyframe) ++c.keyframes;
    }
  }
  return c;
}

TEST(SrtTsDemux, H264AndAacBecomeAvcCAndRawAacWithEveryFrame) {
  auto packets = demux(readSeed("h264_aac.ts"));
  ASSERT_FALSE(packets.empty());
  Counts c = count(packets);
  EXPECT_EQ(c.videoConfigs, 1);
  EXPECT_EQ(c.audioConfigs, 1);
  EXPECT_EQ(c.videoFrames, 20);  // what ffprobe -count_frames reports
  EXPECT_EQ(c.audioFrames, 39);
  EXPECT_EQ(c.keyframes, 2);  // -g 10
  // The first video packet is the configuration, then a keyframe.
  auto firstVideo = std::find_if(packets.begin(), packets.end(),
                                 [](auto& p) { return p->track == media::TrackType::kVideo; });
  ASSERT_TRUE((*firstVideo)->config);
  auto avcc = media::parseAvcConfig((*firstVideo)->data.span());
  ASSERT_TRUE(avcc);
  auto info = media::videoInfoOf(*avcc);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, 64u);
  EXPECT_EQ(info->height, 64u);
  EXPECT_FALSE((*firstVideo)->flvHeader.empty());
  EXPECT_TRUE((*(firstVideo + 1))->keyframe);
  for (const auto& p : packets) {
    if (p->config || p->track != media::TrackType::kVideo) continue;
    EXPECT_TRUE(media::lengthPrefixedToAnnexB(p->data.span(), 4)) << "broken NAL framing";
    EXPECT_NE(p->data.data()[0] | p->data.data()[1], 0xff);  // no start code left
  }
  auto asc = std::find_if(packets.begin(), packets.end(), [](auto& p) {
    return p->track == media::TrackType::kAudio && p->config;
  });
  auto audio = media::parseAudioSpecificConfig((*asc)->data.span());
  ASSERT_TRUE(audio);
  EXPECT_EQ(audio->sampleRate, 48000u);
  EXPECT_EQ(audio->objectType, 2);
  // B-frames: composition offsets appear, and decode times never go backwards.
  int64_t lastDts = INT64_MIN;
  bool sawCts = false;
  for (const auto& p : packets) {
    if (p->track != media::TrackType::kVideo || p->config) continue;
    EXPECT_GE(p->dts, lastDts);
    lastDts = p->dts;
    sawCts |= p->cts > 0;
  }
  EXPECT_TRUE(sawCts);
}

TEST(SrtTsDemux, HevcAndOpusBecomeHvcCAndOpus) {
  Counts c = count(demux(readSeed("hevc_opus.ts"), 188));
  EXPECT_EQ(c.videoConfigs, 1);
  EXPECT_EQ(c.videoFrames, 20);
  EXPECT_EQ(c.keyframes, 2);
  EXPECT_EQ(c.audioFrames, 41);
  EXPECT_EQ(c.audioConfigs, 1);  // OpusHead from the demuxer
}

// MP2 (ffmpeg -c:a mp2, 48 kHz mono 64 kb/s): one packet per frame, header included, no
// configuration, 1152 samples (24 ms) apart; and nothing for FLV (it has no MP2).
TEST(SrtTsDemux, H264AndMp2BecomeSelfContainedMp2Frames) {
  auto packets = demux(readSeed("h264_mp2.ts"));
  Counts c = count(packets);
  EXPECT_EQ(c.videoConfigs, 1);
  EXPECT_EQ(c.videoFrames, 20);  // what ffprobe -count_frames reports
  EXPECT_EQ(c.audioConfigs, 0);
  EXPECT_EQ(c.audioFrames, 34);
  int64_t previous = -1;
  for (const auto& p : packets) {
    if (p->track != media::TrackType::kAudio) continue;
    EXPECT_EQ(p->codec, media::Codec::kMp2);
    EXPECT_TRUE(p->flvHeader.empty());
    auto header = media::parseMpegAudioHeader(p->data.span());
    ASSERT_TRUE(header);
    EXPECT_EQ(header->layer, 2);
    EXPECT_EQ(header->sampleRate, 48000u);
    EXPECT_EQ(header->channels, 1);
    EXPECT_EQ(header->frameBytes, p->data.size());
    if (previous >= 0) {
      EXPECT_EQ(p->dts - previous, 24);
    }
    previous = p->dts;
  }
}

// MP3 in MPEG-TS (44.1 kHz: 26.1 ms frames), audio only.
TEST(SrtTsDemux, Mp3BecomesMp3Frames) {
  auto packets = demux(readSeed("mp3_audio_only.ts"), 188);
  Counts c = count(packets);
  EXPECT_EQ(c.audioFrames, 21);  // what ffprobe -count_frames reports
  EXPECT_EQ(c.audioConfigs + c.videoFrames + c.videoConfigs, 0);
  ASSERT_FALSE(packets.empty());
  for (const auto& p : packets) {
    EXPECT_EQ(p->codec, media::Codec::kMp3);
    EXPECT_FALSE(p->flvHeader.empty());  // FLV sound format 2
  }
  EXPECT_NEAR(static_cast<double>(packets.back()->dts - packets.front()->dts),
              20 * 1152 * 1000.0 / 44100, 1);
}

TEST(SrtTsDemux, TruncatedAndCorruptedInputEndsCleanly) {
  (void)demux(readSeed("truncated.ts"));
  (void)demux(readSeed("corrupted.ts"));
}

TEST(SrtTsMuxer, RoundTripKeepsFramesConfigsAndTiming) {
  for (const char* seed : {"h264_aac.ts", "hevc_opus.ts", "h264_mp2.ts"}) {
    auto original = configsFirst(demux(readSeed(seed)));
    std::string ts;
    TsMuxer muxer([&](core::Slice bytes) { ts.append(bytes.view()); });
    for (const auto& p : original) ASSERT_TRUE(muxer.push(*p)) << seed;
    ASSERT_EQ(ts.size() % 188, 0u);
    auto again = demux(ts);
    Counts a = count(original);
    Counts b = count(again);
    EXPECT_EQ(b.videoFrames, a.videoFrames) << seed;
    // The last audio PES of a stream that simply stops (no trailer: live) may stay open.
    EXPECT_GE(b.audioFrames, a.audioFrames - 1) << seed;
    EXPECT_LE(b.audioFrames, a.audioFrames) << seed;
    EXPECT_EQ(b.keyframes, a.keyframes) << seed;
    EXPECT_EQ(muxer.skippedPackets(), 0u) << seed;
    // Same video payloads in the same order (compared by size and hash: readable failures).
    auto fingerprints = [](const std::vector<media::MediaPacketPtr>& packets) {
      std::vector<std::pair<size_t, size_t>> out;
      for (auto& p : packets) {
        if (p->track == media::TrackType::kVideo && !p->config) {
          out.emplace_back(p->data.size(), std::hash<std::string_view>{}(p->data.view()));
        }
      }
      return out;
    };
    EXPECT_EQ(fingerprints(original), fingerprints(again)) << seed;
    auto audioCodec = [](const std::vector<media::MediaPacketPtr>& packets) {
      for (auto& p : packets) {
        if (p->track == media::TrackType::kAudio) return p->codec;
      }
      return media::Codec::kUnknown;
    };
    EXPECT_EQ(audioCodec(again), audioCodec(original)) << seed;
  }
}

TEST(SrtTsMuxer, WaitsForAnAudioConfigurationThatComesAfterTheFirstKeyframe) {
  // In the demuxer's order (a player that joined at the very start): the AAC configuration
  // comes with the first audio frame, after several video frames.
  auto original = demux(readSeed("h264_aac.ts"));
  std::string ts;
  TsMuxer muxer([&](core::Slice bytes) { ts.append(bytes.view()); });
  for (const auto& p : original) ASSERT_TRUE(muxer.push(*p));
  Counts a = count(original);
  Counts b = count(demux(ts));
  EXPECT_EQ(b.videoFrames, a.videoFrames);
  EXPECT_GE(b.audioFrames, a.audioFrames - 1);
  EXPECT_EQ(b.audioConfigs, 1);
}

TEST(SrtTsMuxer, WaitsForTheFirstKeyframe) {
  auto original = configsFirst(demux(readSeed("h264_aac.ts")));
  std::string ts;
  TsMuxer muxer([&](core::Slice bytes) { ts.append(bytes.view()); });
  bool skippedKeyframe = false;
  for (const auto& p : original) {
    // Drop the first keyframe: nothing may come out before the second one.
    if (p->keyframe && !skippedKeyframe) {
      skippedKeyframe = true;
      continue;
    }
    ASSERT_TRUE(muxer.push(*p));
  }
  Counts c = count(demux(ts));
  EXPECT_EQ(c.videoFrames, 10);
  EXPECT_EQ(c.keyframes, 1);
}

}  // namespace
}  // namespace tidecast::ingest::srt
