#include "delivery/cmaf/init_segment.h"

#include "delivery/cmaf/box_writer.h"

namespace tidecast::delivery::cmaf {

namespace media = core::media;

namespace {

constexpr uint32_t kFixedOne = 0x00010000;  // 16.16 fixed point 1.0

void matrix(BoxWriter& w) {
  const uint32_t unity[9] = {kFixedOne, 0, 0, 0, kFixedOne, 0, 0, 0, 0x40000000};
  for (uint32_t v : unity) w.u32(v);
}

void ftyp(BoxWriter& w) {
  size_t box = w.open("ftyp");
  w.fourcc("iso6");
  w.u32(0);
  for (auto brand : {"iso6", "cmfc", "mp41", "dash"}) w.fourcc(brand);
  w.close(box);
}

void mvhd(BoxWriter& w) {
  size_t box = w.openFull("mvhd", 0, 0);
  w.u32(0);  // creation_time
  w.u32(0);  // modification_time
  w.u32(1000);
  w.u32(0);          // duration: unknown (fragmented)
  w.u32(kFixedOne);  // rate
  w.u16(0x0100);     // volume
  w.zeros(10);
  matrix(w);
  w.zeros(24);          // pre_defined
  w.u32(kTrackId + 1);  // next_track_ID
  w.close(box);
}

void tkhd(BoxWriter& w, const TrackDescription& track) {
  bool audio = track.type == media::TrackType::kAudio;
  size_t box = w.openFull("tkhd", 0, 0x000007);  // enabled, in movie, in preview
  w.u32(0);
  w.u32(0);
  w.u32(kTrackId);
  w.u32(0);  // reserved
  w.u32(0);  // duration
  w.zeros(8);
  w.u16(0);  // layer
  w.u16(0);  // alternate_group
  w.u16(audio ? 0x0100 : 0);
  w.u16(0);
  matrix(w);
  w.u32(track.width << 16);
  w.u32(track.height << 16);
  w.close(box);
}

void mdhd(BoxWriter& w, const TrackDescription& track) {
  size_t box = w.openFull("mdhd", 0, 0);
  w.u32(0);
  w.u32(0);
  w.u32(track.timescale);
  w.u32(0);
  w.u16(0x55c4);  // "und", ISO 639-2/T packed
  w.u16(0);
  w.close(box);
}

void hdlr(BoxWriter& w, const TrackDescription& track) {
  bool audio = track.type == media::TrackType::kAudio;
  size_t box = w.openFull("hdlr", 0, 0);
  w.u32(0);
  w.fourcc(audio ? "soun" : "vide");
  w.zeros(12);
  std::string_view name = audio ? "tidecast audio" : "tidecast video";
  w.bytes({reinterpret_cast<const uint8_t*>(name.data()), name.size()});
  w.u8(0);
  w.close(box);
}

void dinf(BoxWriter& w) {
  size_t box = w.open("dinf");
  size_t dref = w.openFull("dref", 0, 0);
  w.u32(1);
  size_t url = w.openFull("url ", 0, 1);  // self-contained
  w.close(url);
  w.close(dref);
  w.close(box);
}

void visualSampleEntry(BoxWriter& w, const TrackDescription& track) {
  std::string_view entry = "avc1";
  std::string_view configBox = "avcC";
  if (track.codec == media::Codec::kHevc) {
    entry = "hvc1";
    configBox = "hvcC";
  } else if (track.codec == media::Codec::kAv1) {
    entry = "av01";
    configBox = "av1C";
  }
  size_t box = w.open(entry);
  w.zeros(6);
  w.u16(1);     // data_reference_index
  w.zeros(16);  // pre_defined, reserved
  w.u16(track.width);
  w.u16(track.height);
  w.u32(0x00480000);  // 72 dpi
  w.u32(0x00480000);
  w.u32(0);
  w.u16(1);     // frame_count
  w.zeros(32);  // compressorname
  w.u16(0x0018);
  w.u16(0xffff);  // pre_defined = -1
  size_t config = w.open(configBox);
  w.bytes(track.config.span());
  w.close(config);
  w.close(box);
}

// ISO/IEC 14496-1 descriptor header: the size in the four-byte expandable form (7 bits a
// byte, high bit set on all but the last), up to 2^28 - 1.
void descriptor(BoxWriter& w, uint8_t tag, size_t size) {
  w.u8(tag);
  for (int shift : {21, 14, 7}) w.u8(static_cast<uint32_t>(0x80 | ((size >> shift) & 0x7f)));
  w.u8(static_cast<uint32_t>(size & 0x7f));
}

void esds(BoxWriter& w, const TrackDescription& track) {
  size_t ascSize = track.config.size();  // a few bytes in practice
  size_t decSpecific = 5 + ascSize;
  size_t decoderConfig = 5 + 13 + decSpecific;
  size_t slConfig = 5 + 1;
  size_t es = 5 + 3 + decoderConfig + slConfig;
  size_t box = w.openFull("esds", 0, 0);
  descriptor(w, 0x03, es - 5);
  w.u16(kTrackId);  // ES_ID
  w.u8(0);          // flags
  descriptor(w, 0x04, decoderConfig - 5);
  w.u8(0x40);  // Audio ISO/IEC 14496-3
  w.u8(0x15);  // AudioStream, upstream 0, reserved 1
  w.u24(0);    // bufferSizeDB
  w.u32(0);    // maxBitrate
  w.u32(0);    // avgBitrate
  descriptor(w, 0x05, ascSize);
  w.bytes(track.config.span().first(ascSize));
  descriptor(w, 0x06, 1);
  w.u8(0x02);  // predefined: MP4
  w.close(box);
}

// Opus in ISOBMFF (Encapsulation of Opus in ISO Base Media File Format, 4.3.2).
void dOps(BoxWriter& w, const TrackDescription& track) {
  size_t box = w.open("dOps");
  w.u8(0);  // Version
  w.u8(track.channels);
  w.u16(track.opusPreSkip);
  w.u32(track.sampleRate);
  w.u16(0);  // OutputGain
  w.u8(0);   // ChannelMappingFamily: mono/stereo
  w.close(box);
}

void audioSampleEntry(BoxWriter& w, const TrackDescription& track) {
  bool opus = track.codec == media::Codec::kOpus;
  size_t box = w.open(opus ? "Opus" : "mp4a");
  w.zeros(6);
  w.u16(1);
  w.zeros(8);
  w.u16(track.channels);
  w.u16(16);  // samplesize
  w.u16(0);
  w.u16(0);
  w.u32(track.sampleRate <= 0xffff ? track.sampleRate << 16 : 0);
  if (opus) {
    dOps(w, track);
  } else {
    esds(w, track);
  }
  w.close(box);
}

void stbl(BoxWriter& w, const TrackDescription& track) {
  size_t box = w.open("stbl");
  size_t stsd = w.openFull("stsd", 0, 0);
  w.u32(1);
  if (track.type == media::TrackType::kAudio) {
    audioSampleEntry(w, track);
  } else {
    visualSampleEntry(w, track);
  }
  w.close(stsd);
  for (auto empty : {"stts", "stsc", "stco"}) {
    size_t table = w.openFull(empty, 0, 0);
    w.u32(0);
    w.close(table);
  }
  size_t stsz = w.openFull("stsz", 0, 0);
  w.u32(0);
  w.u32(0);
  w.close(stsz);
  w.close(box);
}

void minf(BoxWriter& w, const TrackDescription& track) {
  size_t box = w.open("minf");
  if (track.type == media::TrackType::kAudio) {
    size_t smhd = w.openFull("smhd", 0, 0);
    w.u32(0);  // balance, reserved
    w.close(smhd);
  } else {
    size_t vmhd = w.openFull("vmhd", 0, 1);
    w.zeros(8);  // graphicsmode, opcolor
    w.close(vmhd);
  }
  dinf(w);
  stbl(w, track);
  w.close(box);
}

void mvex(BoxWriter& w) {
  size_t box = w.open("mvex");
  size_t trex = w.openFull("trex", 0, 0);
  w.u32(kTrackId);
  w.u32(1);  // default_sample_description_index
  w.u32(0);
  w.u32(0);
  w.u32(0);
  w.close(trex);
  w.close(box);
}

}  // namespace

core::Slice writeInitSegment(const TrackDescription& track) {
  BoxWriter w;
  ftyp(w);
  size_t moov = w.open("moov");
  mvhd(w);
  size_t trak = w.open("trak");
  tkhd(w, track);
  size_t mdia = w.open("mdia");
  mdhd(w, track);
  hdlr(w, track);
  minf(w, track);
  w.close(mdia);
  w.close(trak);
  mvex(w);
  w.close(moov);
  return w.finish();
}

}  // namespace tidecast::delivery::cmaf
