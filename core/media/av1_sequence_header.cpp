// AV1 sequence header OBU (AV1 bitstream spec 5.3 OBU framing, 5.5 sequence header), read up
// to color_config for size, level, bit depth and chroma subsampling.
#include <optional>

#include "core/media/av1.h"
#include "core/media/bit_reader.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

// timing_info() and decoder_model_info() (5.5.3, 5.5.4). Sets fps, returns the
// decoder-model buffer delay length in bits (0 when there is no decoder model).
unsigned readTiming(BitReader& reader, VideoInfo& info) {
  const uint32_t unitsInTick = reader.readU32();
  const uint32_t timeScale = reader.readU32();
  if (reader.readFlag()) {  // equal_picture_interval
    const uint64_t ticks = uint64_t{reader.readUvlc()} + 1;
    if (reader.ok() && unitsInTick > 0) {
      info.fps = static_cast<double>(timeScale) / (static_cast<double>(unitsInTick) * ticks);
    }
  }
  if (!reader.readFlag()) return 0;  // decoder_model_info_present_flag
  const unsigned bufferDelayLength = reader.readBits(5) + 1;
  reader.skipBits(32 + 5 + 5);  // num_units_in_decoding_tick, two length fields
  return bufferDelayLength;
}

// Everything before frame_width_bits_minus_1 of a full (not reduced) sequence header.
void readOperatingPoints(BitReader& reader, VideoInfo& info, uint8_t& tier) {
  unsigned bufferDelayLength = 0;
  if (reader.readFlag()) bufferDelayLength = readTiming(reader, info);
  const bool initialDisplayDelayPresent = reader.readFlag();
  const unsigned operatingPoints = reader.readBits(5) + 1;
  for (unsigned i = 0; i < operatingPoints && reader.ok(); ++i) {
    reader.skipBits(12);  // operating_point_idc
    const uint8_t level = static_cast<uint8_t>(reader.readBits(5));
    const uint8_t pointTier = level > 7 ? static_cast<uint8_t>(reader.readBits(1)) : 0;
    if (i == 0) {
      info.level = level;
      tier = pointTier;
    }
    if (bufferDelayLength > 0 && reader.readFlag()) reader.skipBits(2 * bufferDelayLength + 1);
    if (initialDisplayDelayPresent && reader.readFlag()) reader.skipBits(4);
  }
}

// From frame_id_numbers_present_flag to enable_restoration (5.5.1).
void skipToolFlags(BitReader& reader, bool reduced) {
  if (!reduced && reader.readFlag()) reader.skipBits(7);  // frame id lengths
  reader.skipBits(3);  // 128x128 superblock, filter intra, intra edge filter
  if (!reduced) {
    reader.skipBits(4);  // interintra, masked compound, warped motion, dual filter
    const bool orderHint = reader.readFlag();
    if (orderHint) reader.skipBits(2);  // jnt_comp, ref_frame_mvs
    const unsigned forceScreenContent = reader.readFlag() ? 2 : reader.readBits(1);
    if (forceScreenContent > 0 && !reader.readFlag()) reader.skipBits(1);  // integer mv
    if (orderHint) reader.skipBits(3);  // order_hint_bits_minus_1
  }
  reader.skipBits(3);  // superres, cdef, restoration
}

// color_config() (5.5.2) up to the chroma subsampling.
void readColorConfig(BitReader& reader, VideoInfo& info) {
  const bool highBitdepth = reader.readFlag();
  info.bitDepth = highBitdepth ? 10 : 8;
  if (info.profile == 2 && highBitdepth && reader.readFlag()) info.bitDepth = 12;
  info.bitDepthChroma = info.bitDepth;
  const bool mono = info.profile != 1 && reader.readFlag();
  uint32_t primaries = 2, transfer = 2, matrix = 2;
  if (reader.readFlag()) {  // color_description_present_flag
    primaries = reader.readU8();
    transfer = reader.readU8();
    matrix = reader.readU8();
  }
  if (mono) {
    info.chromaFormat = 0;
  } else if (primaries == 1 && transfer == 13 && matrix == 0) {
    info.chromaFormat = 3;  // sRGB: 4:4:4
  } else {
    reader.skipBits(1);  // color_range
    bool subX = info.profile == 0;
    bool subY = subX;
    if (info.profile == 2) {
      subX = info.bitDepth != 12 || reader.readFlag();
      subY = info.bitDepth == 12 && subX && reader.readFlag();
    }
    info.chromaFormat = subX ? (subY ? 1 : 2) : 3;
  }
}

Result<VideoInfo> readSequenceHeader(ByteSpan payload) {
  BitReader reader(payload);
  VideoInfo info;
  info.profile = static_cast<uint8_t>(reader.readBits(3));
  reader.skipBits(1);  // still_picture
  const bool reduced = reader.readFlag();
  uint8_t tier = 0;
  if (reduced) {
    info.level = static_cast<uint8_t>(reader.readBits(5));
  } else {
    readOperatingPoints(reader, info, tier);
  }
  const unsigned widthBits = reader.readBits(4) + 1;
  const unsigned heightBits = reader.readBits(4) + 1;
  info.width = reader.readBits(widthBits) + 1;
  info.height = reader.readBits(heightBits) + 1;
  skipToolFlags(reader, reduced);
  readColorConfig(reader, info);
  if (!reader.ok()) return truncatedError("AV1 sequence header is truncated");
  if (info.profile > 2) return invalidError("AV1 seq_profile out of range");
  info.codecString = av1CodecString(info.profile, info.level, tier, info.bitDepth);
  return info;
}

}  // namespace

Result<VideoInfo> parseAv1SequenceHeader(ByteSpan obus) {
  BitReader reader(obus);
  while (reader.bytesLeft() > 0) {
    const uint8_t header = reader.readU8();
    if (header & 0x80) return invalidError("AV1 OBU forbidden bit is set");
    const uint8_t type = (header >> 3) & 0x0f;
    if (header & 0x04) reader.skipBits(8);  // obu_extension_header
    const size_t size = (header & 0x02) ? reader.readLeb128() : reader.bytesLeft();
    const ByteSpan payload = reader.readBytes(size);
    if (!reader.ok()) return truncatedError("AV1 OBU runs past the data");
    if (type == kAv1ObuSequenceHeader) return readSequenceHeader(payload);
  }
  return invalidError("no AV1 sequence header OBU");
}

}  // namespace tidecast::core::media
