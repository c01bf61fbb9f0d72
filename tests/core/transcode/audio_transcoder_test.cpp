#include "core/transcode/audio_transcoder.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/media/aac.h"
#include "tests/core/transcode/tone_source.h"

namespace tidecast::core::transcode {
namespace {

using testing::ToneSource;

constexpr int kAacFrame = 1024;

// Decodes the AAC packets (after their configuration) with FFmpeg's AAC decoder.
struct AacCheck {
  size_t frames = 0;
  int64_t samples = 0;
  double sumSquares = 0;
  int64_t counted = 0;
  int errors = 0;
};

AacCheck decodeAac(const std::vector<media::MediaPacketPtr>& packets) {
  AacCheck check;
  CodecContextPtr decoder;
  FramePtr frame(av_frame_alloc());
  PacketPtr packet(av_packet_alloc());
  auto receive = [&] {
    while (avcodec_receive_frame(decoder.get(), frame.get()) == 0) {
      check.samples += frame->nb_samples;
      // Past the start (priming, the tone's attack): the level of the tone.
      if (check.samples > 4 * kAacFrame) {
        const auto* left = reinterpret_cast<const float*>(frame->extended_data[0]);
        for (int i = 0; i < frame->nb_samples; ++i) check.sumSquares += left[i] * left[i];
        check.counted += frame->nb_samples;
      }
      av_frame_unref(frame.get());
    }
  };
  for (const auto& p : packets) {
    if (p->config) {
      const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_AAC);
      decoder.reset(avcodec_alloc_context3(codec));
      decoder->extradata =
          static_cast<uint8_t*>(av_mallocz(p->data.size() + AV_INPUT_BUFFER_PADDING_SIZE));
      std::copy_n(p->data.data(), p->data.size(), decoder->extradata);
      decoder->extradata_size = static_cast<int>(p->data.size());
      EXPECT_GE(avcodec_open2(decoder.get(), codec, nullptr), 0);
      continue;
    }
    if (!decoder) continue;
    ++check.frames;
    av_new_packet(packet.get(), static_cast<int>(p->data.size()));
    std::copy_n(p->data.data(), p->data.size(), packet->data);
    if (avcodec_send_packet(decoder.get(), packet.get()) < 0) ++check.errors;
    av_packet_unref(packet.get());
    receive();
  }
  if (decoder) {
    avcodec_send_packet(decoder.get(), nullptr);
    receive();
  }
  return check;
}

// All of the AAC decodes: every input sample comes out (give or take the priming frame and
// the last frame's padding: `slackFrames`), and it is the tone, not silence.
void expectTheTone(const std::vector<media::MediaPacketPtr>& out, const ToneSource& source,
                   double slackFrames) {
  AacCheck check = decodeAac(out);
  EXPECT_EQ(check.errors, 0);
  EXPECT_NEAR(static_cast<double>(check.samples), static_cast<double>(source.samplesIn()),
              slackFrames * kAacFrame);
  ASSERT_GT(check.counted, 0);
  double rms = std::sqrt(check.sumSquares / static_cast<double>(check.counted));
  EXPECT_NEAR(rms, ToneSource::kAmplitude / std::sqrt(2.0), 0.05);
}

std::vector<media::MediaPacketPtr> transcode(AudioTranscoder& transcoder,
                                             const std::vector<media::MediaPacketPtr>& in) {
  std::vector<media::MediaPacketPtr> out;
  for (const auto& p : in) {
    Status status = transcoder.push(*p, out);
    EXPECT_TRUE(status.ok()) << status.error().message;
  }
  return out;
}

TEST(AudioTranscoderTest, OpusBecomesDecodableContinuousAacLc) {
  ToneSource source = ToneSource::opus(1000);
  AudioTranscoder transcoder(128000);
  std::vector<media::MediaPacketPtr> in{source.config()};
  for (const auto& p : source.encode(100)) in.push_back(p);  // 2 s
  std::vector<media::MediaPacketPtr> out = transcode(transcoder, in);
  transcoder.flush(out);
  EXPECT_EQ(transcoder.sampleRate(), 0);  // flushed: the encoder is closed

  ASSERT_GT(out.size(), 2u);
  // An AudioSpecificConfig first: AAC-LC, the source's rate and channels.
  ASSERT_TRUE(out[0]->config);
  EXPECT_EQ(out[0]->codec, media::Codec::kAac);
  EXPECT_EQ(out[0]->track, media::TrackType::kAudio);
  auto info = media::parseAudioSpecificConfig(out[0]->data.span());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objectType, 2);
  EXPECT_EQ(info->sampleRate, 48000u);
  EXPECT_EQ(info->channels, 2u);
  EXPECT_EQ(media::aacCodecString(info->objectType), "mp4a.40.2");

  // Frames of 1024 samples at 48 kHz: 21 or 22 ms apart, never a gap, starting at the
  // source's time (less the encoder's priming frame, which puts the first sample back there).
  int64_t previous = -1;
  for (size_t i = 1; i < out.size(); ++i) {
    ASSERT_FALSE(out[i]->config);
    EXPECT_FALSE(out[i]->flvHeader.empty());
    if (previous >= 0) {
      int64_t step = out[i]->dts - previous;
      EXPECT_TRUE(step == 21 || step == 22) << "packet " << i << " step " << step;
    }
    previous = out[i]->dts;
  }
  EXPECT_NEAR(static_cast<double>(out[1]->dts), 1000.0 - 1024 * 1000.0 / 48000, 8);

  EXPECT_EQ(decodeAac(out).frames, out.size() - 1);
  expectTheTone(out, source, 2.0);
}

TEST(AudioTranscoderTest, Mp3BecomesAacAtItsOwnSampleRate) {
  ToneSource source = ToneSource::mp3(500);  // as RTMP sends it: no configuration packet
  AudioTranscoder transcoder(96000);
  std::vector<media::MediaPacketPtr> out = transcode(transcoder, source.encode(80));  // ~2 s
  EXPECT_EQ(transcoder.sampleRate(), 44100);
  EXPECT_EQ(transcoder.channels(), 2);
  transcoder.flush(out);
  ASSERT_GT(out.size(), 2u);
  ASSERT_TRUE(out[0]->config);
  auto info = media::parseAudioSpecificConfig(out[0]->data.span());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->objectType, 2);
  EXPECT_EQ(info->sampleRate, 44100u);
  EXPECT_EQ(info->channels, 2u);
  for (size_t i = 2; i < out.size(); ++i) {
    int64_t step = out[i]->dts - out[i - 1]->dts;  // 1024 / 44.1 kHz = 23.2 ms
    EXPECT_TRUE(step == 23 || step == 24) << "packet " << i << " step " << step;
  }
  expectTheTone(out, source, 3.0);
}

TEST(AudioTranscoderTest, Mp2FromSrtBecomesContinuousAacLc) {
  ToneSource source = ToneSource::mp2(2000);  // as SRT sends it: no configuration packet
  AudioTranscoder transcoder(96000);
  std::vector<media::MediaPacketPtr> in = source.encode(84);   // 84 x 24 ms: ~2 s
  for (const auto& p : in) EXPECT_TRUE(p->flvHeader.empty());  // FLV cannot carry MP2
  std::vector<media::MediaPacketPtr> out = transcode(transcoder, in);
  EXPECT_EQ(transcoder.sampleRate(), 48000);
  EXPECT_EQ(transcoder.channels(), 2);
  transcoder.flush(out);
  ASSERT_GT(out.size(), 2u);
  ASSERT_TRUE(out[0]->config);
  EXPECT_EQ(out[0]->codec, media::Codec::kAac);
  auto info = media::parseAudioSpecificConfig(out[0]->data.span());
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(media::aacCodecString(info->objectType), "mp4a.40.2");
  EXPECT_EQ(info->sampleRate, 48000u);
  EXPECT_EQ(info->channels, 2u);
  for (size_t i = 1; i < out.size(); ++i) {
    ASSERT_FALSE(out[i]->config);
    EXPECT_EQ(out[i]->codec, media::Codec::kAac);
    EXPECT_FALSE(out[i]->flvHeader.empty());
    if (i < 2) continue;
    int64_t step = out[i]->dts - out[i - 1]->dts;  // 1024 / 48 kHz = 21.3 ms
    EXPECT_TRUE(step == 21 || step == 22) << "packet " << i << " step " << step;
  }
  // The source's timeline: the first sample (after the priming frame) at the first MP2
  // frame's time (2000 ms less the mp2 encoder's 481-sample delay), and the output lasts as
  // long as the input.
  EXPECT_NEAR(static_cast<double>(out[1]->dts),
              static_cast<double>(in.front()->dts) - 1024 * 1000.0 / 48000, 2);
  const double inputMs = static_cast<double>(source.samplesIn()) * 1000 / source.rate();
  EXPECT_NEAR(static_cast<double>(out.back()->dts - out[1]->dts), inputMs, 3 * 21.4);
  EXPECT_EQ(decodeAac(out).frames, out.size() - 1);
  expectTheTone(out, source, 3.0);
}

TEST(AudioTranscoderTest, AJumpInTheSourcesTimesReanchorsTheOutput) {
  ToneSource source = ToneSource::opus(1000);
  AudioTranscoder transcoder(64000);
  std::vector<media::MediaPacketPtr> in{source.config()};
  for (const auto& p : source.encode(50)) in.push_back(p);
  std::vector<media::MediaPacketPtr> before = transcode(transcoder, in);
  ASSERT_FALSE(before.empty());
  int64_t lastBefore = before.back()->dts;
  source.jump(5000);
  std::vector<media::MediaPacketPtr> after = transcode(transcoder, source.encode(50));
  transcoder.flush(after);
  ASSERT_GT(after.size(), 10u);
  // Frames already in the encoder keep their times; then the output follows the jump.
  int64_t previous = lastBefore;
  bool jumped = false;
  for (const auto& p : after) {
    EXPECT_GT(p->dts, previous);
    if (p->dts - previous > 1000) jumped = true;
    previous = p->dts;
  }
  EXPECT_TRUE(jumped);
  EXPECT_NEAR(static_cast<double>(after.back()->dts), 1000 + 5000 + 2000, 60);
}

TEST(AudioTranscoderTest, AacIsNotTranscodedAndUnknownCodecsAreRefused) {
  EXPECT_FALSE(AudioTranscoder::needsTranscode(media::Codec::kAac));
  EXPECT_TRUE(AudioTranscoder::needsTranscode(media::Codec::kOpus));
  EXPECT_TRUE(AudioTranscoder::needsTranscode(media::Codec::kMp3));
  EXPECT_TRUE(AudioTranscoder::needsTranscode(media::Codec::kMp2));
  AudioTranscoder transcoder(128000);
  std::vector<media::MediaPacketPtr> out;
  media::MediaPacket aac;
  aac.track = media::TrackType::kAudio;
  aac.codec = media::Codec::kAac;
  aac.data = Slice::copyOf(reinterpret_cast<const uint8_t*>("\x21\x10"), 2);
  EXPECT_TRUE(transcoder.push(aac, out).ok());
  EXPECT_TRUE(out.empty());

  media::MediaPacket garbage;
  garbage.track = media::TrackType::kAudio;
  garbage.codec = media::Codec::kOpus;
  garbage.dts = 10;
  garbage.data = Slice::copyOf(reinterpret_cast<const uint8_t*>("\xff\xff\xff"), 3);
  // A broken frame is an error for that frame only; the next good one goes through.
  (void)transcoder.push(garbage, out);
  ToneSource source = ToneSource::opus(20);
  std::vector<media::MediaPacketPtr> good = transcode(transcoder, source.encode(20));
  EXPECT_FALSE(good.empty());
}

}  // namespace
}  // namespace tidecast::core::transcode
