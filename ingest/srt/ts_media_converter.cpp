#include "ingest/srt/ts_media_converter.h"

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/media/aac.h"
#include "core/media/flv_tag.h"
#include "core/media/h264.h"
#include "core/media/hevc.h"
#include "core/media/mpeg_audio.h"
#include "core/media/nal_units.h"
#include "core/slice.h"

namespace tidecast::ingest::srt {

namespace media = core::media;

namespace {

constexpr uint8_t kH264NalAud = 9;
constexpr uint8_t kHevcNalAud = 35;
constexpr int64_t kAacFrameSamples = 1024;
constexpr int64_t kOpusSampleRate = 48000;

// Samples (48 kHz) in an Opus packet, from its TOC byte (RFC 6716 3.1); 0 if malformed.
// MPEG-TS carries several Opus packets per PES and timestamps only the first.
int64_t opusPacketSamples(media::ByteSpan packet) {
  if (packet.empty()) return 0;
  const unsigned config = packet[0] >> 3;
  // Frame sizes in units of 2.5 ms: SILK 10/20/40/60, Hybrid 10/20, CELT 2.5/5/10/20 ms.
  static constexpr int kSilk[] = {4, 8, 16, 24};
  static constexpr int kHybrid[] = {4, 8};
  static constexpr int kCelt[] = {1, 2, 4, 8};
  int quarterFrames = config < 12   ? kSilk[config % 4]
                      : config < 16 ? kHybrid[config % 2]
                                    : kCelt[config % 4];
  int frames = 1;
  switch (packet[0] & 3) {
    case 0:
      frames = 1;
      break;
    case 1:
    case 2:
      frames = 2;
      break;
    default:
      if (packet.size() < 2) return 0;
      frames = packet[1] & 0x3f;
  }
  return int64_t{frames} * quarterFrames * 120;  // 2.5 ms = 120 samples at 48 kHz
}

core::Slice copySlice(media::ByteSpan bytes) {
  return core::Slice::copyOf(bytes.data(), bytes.size());
}

// The NAL units of an Annex B access unit, sorted into parameter sets and the rest.
struct SplitAccessUnit {
  std::vector<media::ByteSpan> vps, sps, pps, rest;
  size_t restBytes = 0;  // with 4-byte length prefixes
  bool keyframe = false;
};

SplitAccessUnit splitAccessUnit(media::ByteSpan annexB, bool hevc) {
  SplitAccessUnit out;
  media::AnnexBNalReader reader(annexB);
  while (auto nal = reader.next()) {
    if (nal->empty()) continue;
    uint8_t type = hevc ? media::hevcNalType((*nal)[0]) : media::h264NalType((*nal)[0]);
    if (hevc) {
      if (type == media::kHevcNalVps) out.vps.push_back(*nal);
      if (type == media::kHevcNalSps) out.sps.push_back(*nal);
      if (type == media::kHevcNalPps) out.pps.push_back(*nal);
      if (type == media::kHevcNalVps || type == media::kHevcNalSps || type == media::kHevcNalPps ||
          type == kHevcNalAud) {
        continue;
      }
      out.keyframe |= type >= media::kHevcNalIrapFirst && type <= media::kHevcNalIrapLast;
    } else {
      if (type == media::kH264NalSps) out.sps.push_back(*nal);
      if (type == media::kH264NalPps) out.pps.push_back(*nal);
      if (type == media::kH264NalSps || type == media::kH264NalPps || type == kH264NalAud) {
        continue;
      }
      out.keyframe |= type == media::kH264NalIdr;
    }
    out.rest.push_back(*nal);
    out.restBytes += 4 + nal->size();
  }
  return out;
}

core::Slice lengthPrefixed(const std::vector<media::ByteSpan>& units, size_t bytes) {
  core::SliceBuilder builder(bytes);
  for (const auto& unit : units) {
    uint8_t length[4] = {static_cast<uint8_t>(unit.size() >> 24),
                         static_cast<uint8_t>(unit.size() >> 16),
                         static_cast<uint8_t>(unit.size() >> 8), static_cast<uint8_t>(unit.size())};
    builder.append(length, sizeof length);
    builder.append(unit.data(), unit.size());
  }
  return builder.finish();
}

}  // namespace

TsMediaConverter::Track& TsMediaConverter::track(int index) {
  for (auto& t : tracks_) {
    if (t.index == index) return t;
  }
  tracks_.push_back(Track{});
  tracks_.back().index = index;
  return tracks_.back();
}

core::Status TsMediaConverter::push(const ElementaryUnit& unit) {
  auto drop = [this](core::Error error) -> core::Status {
    ++stats_.droppedUnits;
    return error;
  };
  if (unit.data.size() > kMaxAccessUnitBytes) {
    return drop(core::makeError("srt.too_large",
                                "access unit of " + std::to_string(unit.data.size()) + " bytes"));
  }
  Track& t = track(unit.track);
  // A unit without timestamps (the second AAC frame of a PES packet) follows the last one.
  int64_t dts90k = unit.dts90k != kNoTimestamp ? unit.dts90k : unit.pts90k;
  int64_t pts90k = unit.pts90k != kNoTimestamp ? unit.pts90k : dts90k;
  if (dts90k == kNoTimestamp) {
    if (t.last90k == kNoTimestamp) {
      return drop(core::makeError("srt.no_timestamp", "access unit without a timestamp"));
    }
    dts90k = pts90k = t.last90k + t.duration90k;
  } else if (t.last90k != kNoTimestamp) {
    int64_t step = (dts90k - t.last90k) & (kTsTimestampModulo - 1);
    if (step > 0 && step < kMaxTimestampStep90k) t.duration90k = step;
  }
  if (unit.duration90k > 0 && unit.duration90k < kMaxTimestampStep90k) {
    t.duration90k = unit.duration90k;
  }
  t.last90k = dts90k & (kTsTimestampModulo - 1);
  int64_t dtsMs = clock_.toMs(dts90k);
  int64_t ptsMs = pts90k == dts90k ? dtsMs : clock_.toMs(pts90k);
  core::Status status;
  switch (unit.codec) {
    case media::Codec::kH264:
    case media::Codec::kHevc:
      status = pushVideo(t, unit, dtsMs, ptsMs);
      break;
    case media::Codec::kAac:
      status = pushAac(t, unit, dtsMs);
      break;
    case media::Codec::kOpus:
      status = pushOpus(t, unit, dtsMs);
      break;
    case media::Codec::kMp2:
    case media::Codec::kMp3:
      status = pushMpegAudio(t, unit, dtsMs);
      break;
    default:
      status = core::makeError("media.unsupported", "codec not carried from MPEG-TS");
  }
  if (!status) ++stats_.droppedUnits;
  return status;
}

core::Status TsMediaConverter::pushVideo(Track& t, const ElementaryUnit& unit, int64_t dtsMs,
                                         int64_t ptsMs) {
  bool hevc = unit.codec == media::Codec::kHevc;
  SplitAccessUnit au = splitAccessUnit(unit.data, hevc);
  if (!au.sps.empty() && !au.pps.empty() && (!hevc || !au.vps.empty())) {
    auto config = hevc ? media::buildHevcConfig(au.vps, au.sps, au.pps)
                       : media::buildAvcConfig(au.sps, au.pps);
    if (!config) return config.error();
    if (*config != t.config) {
      sendConfig(t, media::TrackType::kVideo, unit.codec, std::move(*config), dtsMs);
    }
  }
  if (t.config.empty()) return core::makeError("media.ignored", "video before its parameter sets");
  if (!t.keyframeSeen && !au.keyframe) {
    return core::makeError("media.ignored", "video before the first keyframe");
  }
  if (au.rest.empty()) return core::makeError("media.ignored", "access unit without pictures");
  t.keyframeSeen = true;
  media::MediaPacket packet;
  packet.track = media::TrackType::kVideo;
  packet.codec = unit.codec;
  packet.dts = dtsMs;
  packet.cts = static_cast<int32_t>(std::clamp<int64_t>(ptsMs - dtsMs, 0, INT32_MAX));
  packet.keyframe = au.keyframe;
  packet.data = lengthPrefixed(au.rest, au.restBytes);
  send(std::move(packet));
  return {};
}

core::Status TsMediaConverter::pushAac(Track& t, const ElementaryUnit& unit, int64_t dtsMs) {
  media::ByteSpan rest = unit.data;
  for (int64_t frame = 0; !rest.empty(); ++frame) {
    auto header = media::parseAdtsHeader(rest);
    if (!header) return header.error();
    if (header->frameLength > rest.size()) {
      return core::makeError("media.truncated", "ADTS frame runs past the access unit");
    }
    if (header->rawDataBlocks != 1) {
      return core::makeError("media.unsupported", "ADTS frame with several raw data blocks");
    }
    auto config = media::buildAudioSpecificConfig(header->info.objectType, header->sampleRateIndex,
                                                  header->channelConfig);
    if (!config) return config.error();
    int64_t frameDts = dtsMs + frame * kAacFrameSamples * 1000 / header->info.sampleRate;
    if (*config != t.config) {
      sendConfig(t, media::TrackType::kAudio, media::Codec::kAac, std::move(*config), frameDts);
    }
    media::MediaPacket packet;
    packet.track = media::TrackType::kAudio;
    packet.codec = media::Codec::kAac;
    packet.dts = frameDts;
    packet.data =
        copySlice(rest.subspan(header->headerLength, header->frameLength - header->headerLength));
    send(std::move(packet));
    rest = rest.subspan(header->frameLength);
    t.duration90k = (frame + 1) * kAacFrameSamples * kTsClock / header->info.sampleRate;
  }
  return {};
}

core::Status TsMediaConverter::pushOpus(Track& t, const ElementaryUnit& unit, int64_t dtsMs) {
  if (!unit.extradata.empty() &&
      !std::equal(unit.extradata.begin(), unit.extradata.end(), t.config.begin(), t.config.end())) {
    sendConfig(t, media::TrackType::kAudio, media::Codec::kOpus,
               media::Bytes(unit.extradata.begin(), unit.extradata.end()), dtsMs);
  }
  if (unit.data.empty()) return core::makeError("media.ignored", "empty Opus packet");
  t.duration90k = opusPacketSamples(unit.data) * kTsClock / kOpusSampleRate;
  media::MediaPacket packet;
  packet.track = media::TrackType::kAudio;
  packet.codec = media::Codec::kOpus;
  packet.dts = dtsMs;
  packet.data = copySlice(unit.data);
  send(std::move(packet));
  return {};
}

core::Status TsMediaConverter::pushMpegAudio(Track& t, const ElementaryUnit& unit, int64_t dtsMs) {
  // libavformat's parser hands out one frame per unit; several are split all the same.
  media::ByteSpan rest = unit.data;
  int64_t samples = 0;
  while (!rest.empty()) {
    auto header = media::parseMpegAudioHeader(rest);
    if (!header) return header.error();
    // Free format (no frame size in the header): the rest of the unit is the frame.
    size_t size = header->frameBytes == 0 ? rest.size() : header->frameBytes;
    if (size > rest.size()) {
      return core::makeError("media.truncated", "MPEG audio frame runs past the access unit");
    }
    // The layer decides: libavformat's mpegts demuxer calls stream types 0x03/0x04 MP3 until
    // a probe (avformat_find_stream_info, not run here) reads the frames.
    if (header->layer == 1) return core::makeError("media.unsupported", "MPEG audio Layer I");
    media::MediaPacket packet;
    packet.track = media::TrackType::kAudio;
    packet.codec = header->layer == 2 ? media::Codec::kMp2 : media::Codec::kMp3;
    packet.dts = dtsMs + samples * 1000 / header->sampleRate;
    packet.data = copySlice(rest.first(size));
    send(std::move(packet));
    rest = rest.subspan(size);
    samples += header->samplesPerFrame;
    t.duration90k = samples * kTsClock / header->sampleRate;
  }
  return {};
}

void TsMediaConverter::sendConfig(Track& t, media::TrackType type, media::Codec codec,
                                  media::Bytes config, int64_t dtsMs) {
  if (!t.config.empty()) ++stats_.configChanges;
  media::MediaPacket packet;
  packet.track = type;
  packet.codec = codec;
  packet.dts = dtsMs;
  packet.config = true;
  packet.data = copySlice(config);
  t.config = std::move(config);
  send(std::move(packet));
}

void TsMediaConverter::send(media::MediaPacket packet) {
  packet.flvHeader = media::makeFlvHeader(packet);
  output_(std::make_shared<const media::MediaPacket>(std::move(packet)));
}

}  // namespace tidecast::ingest::srt
