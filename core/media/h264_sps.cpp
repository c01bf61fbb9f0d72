// H.264 sequence parameter set (ITU-T H.264 7.3.2.1.1, E.1.1): the fields up to frame
// cropping are required; the VUI is read only for timing and a broken VUI leaves fps at 0.
#include <algorithm>
#include <iterator>
#include <optional>

#include "core/media/bit_reader.h"
#include "core/media/h264.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

constexpr uint32_t kMaxDimension = 16384;  // beyond any H.264 level (8192x4320 at 6.2)

// The profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices.
bool hasChromaInfo(uint8_t profile) {
  constexpr uint8_t kProfiles[] = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135};
  return std::find(std::begin(kProfiles), std::end(kProfiles), profile) != std::end(kProfiles);
}

void skipScalingList(BitReader& reader, unsigned size) {
  int32_t lastScale = 8;
  int32_t nextScale = 8;
  for (unsigned j = 0; j < size && reader.ok(); ++j) {
    if (nextScale != 0) {
      const int32_t delta = reader.readSe();
      if (delta < -128 || delta > 127) {
        reader.fail();
        return;
      }
      nextScale = (lastScale + delta + 256) % 256;
    }
    if (nextScale != 0) lastScale = nextScale;
  }
}

// chroma_format_idc .. seq_scaling_matrix for the high profiles. Returns false if invalid.
bool readChromaInfo(BitReader& reader, VideoInfo& info, bool& separateColourPlane) {
  const uint32_t chroma = reader.readUe();
  if (chroma > 3) return false;
  info.chromaFormat = static_cast<uint8_t>(chroma);
  if (chroma == 3) separateColourPlane = reader.readFlag();
  const uint32_t lumaMinus8 = reader.readUe();
  const uint32_t chromaMinus8 = reader.readUe();
  if (lumaMinus8 > 6 || chromaMinus8 > 6) return false;
  info.bitDepth = static_cast<uint8_t>(lumaMinus8 + 8);
  info.bitDepthChroma = static_cast<uint8_t>(chromaMinus8 + 8);
  reader.skipBits(1);       // qpprime_y_zero_transform_bypass_flag
  if (reader.readFlag()) {  // seq_scaling_matrix_present_flag
    const unsigned lists = chroma == 3 ? 12 : 8;
    for (unsigned i = 0; i < lists && reader.ok(); ++i) {
      if (reader.readFlag()) skipScalingList(reader, i < 6 ? 16 : 64);
    }
  }
  return reader.ok();
}

// log2_max_frame_num .. pic_order_cnt fields. Returns false if invalid.
bool skipPicOrderCount(BitReader& reader) {
  if (reader.readUe() > 12) return false;  // log2_max_frame_num_minus4
  const uint32_t pocType = reader.readUe();
  if (pocType == 0) {
    if (reader.readUe() > 12) return false;  // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType == 1) {
    reader.skipBits(1);  // delta_pic_order_always_zero_flag
    reader.readSe();     // offset_for_non_ref_pic
    reader.readSe();     // offset_for_top_to_bottom_field
    const uint32_t cycle = reader.readUe();
    if (cycle > 255) return false;
    for (uint32_t i = 0; i < cycle && reader.ok(); ++i) reader.readSe();
  } else if (pocType != 2) {
    return false;
  }
  return reader.ok();
}

// VUI up to timing_info (E.1.1). nullopt when absent or unreadable.
std::optional<double> readVuiFrameRate(BitReader reader) {
  if (reader.readFlag()) {                            // aspect_ratio_info_present_flag
    if (reader.readU8() == 255) reader.skipBits(32);  // Extended_SAR
  }
  if (reader.readFlag()) reader.skipBits(1);     // overscan_info_present_flag
  if (reader.readFlag()) {                       // video_signal_type_present_flag
    reader.skipBits(4);                          // video_format, video_full_range_flag
    if (reader.readFlag()) reader.skipBits(24);  // colour description
  }
  if (reader.readFlag()) {  // chroma_loc_info_present_flag
    reader.readUe();
    reader.readUe();
  }
  if (!reader.readFlag()) return std::nullopt;  // timing_info_present_flag
  const uint32_t unitsInTick = reader.readU32();
  const uint32_t timeScale = reader.readU32();
  if (!reader.ok() || unitsInTick == 0 || timeScale == 0) return std::nullopt;
  return static_cast<double>(timeScale) / (2.0 * unitsInTick);  // two ticks per frame
}

struct FrameGeometry {
  uint32_t widthInMbs = 0;
  uint32_t heightInMapUnits = 0;
  bool frameMbsOnly = true;
  uint32_t crop[4] = {0, 0, 0, 0};  // left, right, top, bottom
};

bool applyGeometry(const FrameGeometry& g, bool separateColourPlane, VideoInfo& info) {
  const uint32_t chromaArrayType = separateColourPlane ? 0 : info.chromaFormat;
  const uint32_t fieldFactor = g.frameMbsOnly ? 1 : 2;
  uint32_t cropUnitX = 1;
  uint32_t cropUnitY = fieldFactor;
  if (chromaArrayType != 0) {
    cropUnitX = chromaArrayType == 3 ? 1 : 2;
    cropUnitY = (chromaArrayType == 1 ? 2 : 1) * fieldFactor;
  }
  const uint64_t width = (uint64_t{g.widthInMbs} + 1) * 16;
  const uint64_t height = (uint64_t{g.heightInMapUnits} + 1) * 16 * fieldFactor;
  const uint64_t cropX = uint64_t{cropUnitX} * (uint64_t{g.crop[0]} + g.crop[1]);
  const uint64_t cropY = uint64_t{cropUnitY} * (uint64_t{g.crop[2]} + g.crop[3]);
  if (width > kMaxDimension || height > kMaxDimension || cropX >= width || cropY >= height) {
    return false;
  }
  info.width = static_cast<uint32_t>(width - cropX);
  info.height = static_cast<uint32_t>(height - cropY);
  return true;
}

}  // namespace

Result<VideoInfo> parseH264Sps(ByteSpan nal) {
  if (nal.size() < 4) return truncatedError("H.264 SPS is shorter than 4 bytes");
  if (h264NalType(nal[0]) != kH264NalSps) return invalidError("NAL unit is not an H.264 SPS");
  const Bytes rbsp = unescapeRbsp(nal.subspan(1));
  BitReader reader(rbsp);
  VideoInfo info;
  info.profile = reader.readU8();
  const uint8_t constraints = reader.readU8();
  info.level = reader.readU8();
  info.codecString = avcCodecString(info.profile, constraints, info.level);
  if (reader.readUe() > 31) return invalidError("H.264 seq_parameter_set_id out of range");
  bool separateColourPlane = false;
  if (hasChromaInfo(info.profile) && !readChromaInfo(reader, info, separateColourPlane)) {
    return reader.ok() ? invalidError("H.264 SPS chroma/bit depth out of range")
                       : truncatedError("H.264 SPS is truncated");
  }
  if (!skipPicOrderCount(reader)) {
    return reader.ok() ? invalidError("H.264 SPS frame num/POC fields out of range")
                       : truncatedError("H.264 SPS is truncated");
  }
  reader.readUe();     // max_num_ref_frames
  reader.skipBits(1);  // gaps_in_frame_num_value_allowed_flag
  FrameGeometry geometry;
  geometry.widthInMbs = reader.readUe();
  geometry.heightInMapUnits = reader.readUe();
  geometry.frameMbsOnly = reader.readFlag();
  if (!geometry.frameMbsOnly) reader.skipBits(1);  // mb_adaptive_frame_field_flag
  reader.skipBits(1);                              // direct_8x8_inference_flag
  if (reader.readFlag()) {                         // frame_cropping_flag
    for (uint32_t& offset : geometry.crop) offset = reader.readUe();
  }
  const bool vuiPresent = reader.readFlag();
  if (!reader.ok()) return truncatedError("H.264 SPS is truncated");
  if (!applyGeometry(geometry, separateColourPlane, info)) {
    return invalidError("H.264 SPS picture size or cropping out of range");
  }
  if (vuiPresent) info.fps = readVuiFrameRate(reader).value_or(0);
  return info;
}

}  // namespace tidecast::core::media
