// HEVC sequence parameter set (ITU-T H.265 7.3.2.2.1). Fields up to the bit depths are
// required; the rest is walked only to reach the VUI timing (E.2.1), and a failure there
// leaves fps at 0 instead of rejecting the SPS.
#include <optional>

#include "core/media/bit_reader.h"
#include "core/media/hevc.h"
#include "core/media/media_error.h"

namespace tidecast::core::media {

namespace {

constexpr uint32_t kMaxDimension = 16888;  // sqrt(8 * MaxLumaPs) at level 6.2
constexpr unsigned kMaxShortTermRefPicSets = 64;

// profile_tier_level(1, maxSubLayersMinus1) (7.3.3).
HevcProfileTierLevel readProfileTierLevel(BitReader& reader, unsigned maxSubLayersMinus1) {
  HevcProfileTierLevel ptl = readHevcProfileTierLevel(reader);
  bool profilePresent[8] = {};
  bool levelPresent[8] = {};
  for (unsigned i = 0; i < maxSubLayersMinus1; ++i) {
    profilePresent[i] = reader.readFlag();
    levelPresent[i] = reader.readFlag();
  }
  if (maxSubLayersMinus1 > 0) reader.skipBits(2 * (8 - maxSubLayersMinus1));
  for (unsigned i = 0; i < maxSubLayersMinus1; ++i) {
    if (profilePresent[i]) reader.skipBits(88);
    if (levelPresent[i]) reader.skipBits(8);
  }
  return ptl;
}

void skipScalingListData(BitReader& reader) {
  for (unsigned sizeId = 0; sizeId < 4; ++sizeId) {
    for (unsigned matrixId = 0; matrixId < 6; matrixId += sizeId == 3 ? 3 : 1) {
      if (!reader.readFlag()) {  // scaling_list_pred_mode_flag
        reader.readUe();         // scaling_list_pred_matrix_id_delta
        continue;
      }
      const unsigned coefficients = sizeId == 0 ? 16 : 64;
      if (sizeId > 1) reader.readSe();  // scaling_list_dc_coef_minus8
      for (unsigned i = 0; i < coefficients && reader.ok(); ++i) reader.readSe();
    }
  }
}

// st_ref_pic_set(idx) for every set of the SPS (7.3.7).
bool skipShortTermRefPicSets(BitReader& reader, unsigned count) {
  unsigned numDeltaPocs[kMaxShortTermRefPicSets] = {};
  for (unsigned idx = 0; idx < count && reader.ok(); ++idx) {
    if (idx != 0 && reader.readFlag()) {  // inter_ref_pic_set_prediction_flag
      reader.skipBits(1);                 // delta_rps_sign
      reader.readUe();                    // abs_delta_rps_minus1
      unsigned kept = 0;
      for (unsigned j = 0; j <= numDeltaPocs[idx - 1] && reader.ok(); ++j) {
        const bool used = reader.readFlag();    // used_by_curr_pic_flag
        if (used || reader.readFlag()) ++kept;  // use_delta_flag
      }
      numDeltaPocs[idx] = kept;
      continue;
    }
    const uint32_t negative = reader.readUe();
    const uint32_t positive = reader.readUe();
    if (negative > 16 || positive > 16) return false;
    for (uint32_t i = 0; i < negative + positive && reader.ok(); ++i) {
      reader.readUe();     // delta_poc_sX_minus1
      reader.skipBits(1);  // used_by_curr_pic_sX_flag
    }
    numDeltaPocs[idx] = negative + positive;
  }
  return reader.ok();
}

// vui_parameters() up to vui_timing_info (E.2.1).
std::optional<double> readVuiFrameRate(BitReader& reader) {
  if (reader.readFlag()) {                            // aspect_ratio_info_present_flag
    if (reader.readU8() == 255) reader.skipBits(32);  // sar_width, sar_height
  }
  if (reader.readFlag()) reader.skipBits(1);  // overscan_info_present_flag
  if (reader.readFlag()) {                    // video_signal_type_present_flag
    reader.skipBits(4);
    if (reader.readFlag()) reader.skipBits(24);  // colour_description_present_flag
  }
  if (reader.readFlag()) {  // chroma_loc_info_present_flag
    reader.readUe();
    reader.readUe();
  }
  reader.skipBits(3);       // neutral_chroma, field_seq, frame_field_info_present
  if (reader.readFlag()) {  // default_display_window_flag
    for (int i = 0; i < 4; ++i) reader.readUe();
  }
  if (!reader.readFlag()) return std::nullopt;  // vui_timing_info_present_flag
  const uint32_t unitsInTick = reader.readU32();
  const uint32_t timeScale = reader.readU32();
  if (!reader.ok() || unitsInTick == 0 || timeScale == 0) return std::nullopt;
  return static_cast<double>(timeScale) / unitsInTick;
}

// From log2_max_pic_order_cnt_lsb_minus4 to the VUI timing. nullopt when absent or broken.
std::optional<double> readFrameRate(BitReader reader, unsigned maxSubLayersMinus1) {
  const uint32_t log2MaxPocLsb = reader.readUe() + 4;
  if (log2MaxPocLsb > 16) return std::nullopt;
  const bool orderingForAll = reader.readFlag();
  for (unsigned i = orderingForAll ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; ++i) {
    for (int j = 0; j < 3; ++j) reader.readUe();  // dec_pic_buffering, reorder, latency
  }
  for (int i = 0; i < 6; ++i) reader.readUe();  // block sizes, transform hierarchy depths
  if (reader.readFlag() && reader.readFlag()) skipScalingListData(reader);
  reader.skipBits(2);       // amp_enabled_flag, sample_adaptive_offset_enabled_flag
  if (reader.readFlag()) {  // pcm_enabled_flag
    reader.skipBits(8);
    reader.readUe();
    reader.readUe();
    reader.skipBits(1);
  }
  const uint32_t refPicSets = reader.readUe();
  if (refPicSets > kMaxShortTermRefPicSets || !skipShortTermRefPicSets(reader, refPicSets)) {
    return std::nullopt;
  }
  if (reader.readFlag()) {  // long_term_ref_pics_present_flag
    const uint32_t count = reader.readUe();
    if (count > 32) return std::nullopt;
    for (uint32_t i = 0; i < count && reader.ok(); ++i) reader.skipBits(log2MaxPocLsb + 1);
  }
  reader.skipBits(2);  // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
  if (!reader.readFlag()) return std::nullopt;  // vui_parameters_present_flag
  return readVuiFrameRate(reader);
}

// chroma_format_idc .. bit_depth_chroma_minus8. Returns false if a value is out of range.
bool readPictureFormat(BitReader& reader, VideoInfo& info) {
  const uint32_t chroma = reader.readUe();
  if (chroma > 3) return false;
  info.chromaFormat = static_cast<uint8_t>(chroma);
  const bool separateColourPlane = chroma == 3 && reader.readFlag();
  const uint32_t width = reader.readUe();
  const uint32_t height = reader.readUe();
  uint32_t window[4] = {0, 0, 0, 0};  // left, right, top, bottom
  if (reader.readFlag()) {
    for (uint32_t& offset : window) offset = reader.readUe();
  }
  const uint32_t lumaMinus8 = reader.readUe();
  const uint32_t chromaMinus8 = reader.readUe();
  if (lumaMinus8 > 8 || chromaMinus8 > 8) return false;
  info.bitDepth = static_cast<uint8_t>(lumaMinus8 + 8);
  info.bitDepthChroma = static_cast<uint8_t>(chromaMinus8 + 8);
  const bool subsampled = !separateColourPlane && (chroma == 1 || chroma == 2);
  const uint64_t subWidth = subsampled ? 2 : 1;
  const uint64_t subHeight = !separateColourPlane && chroma == 1 ? 2 : 1;
  const uint64_t cropX = subWidth * (uint64_t{window[0]} + window[1]);
  const uint64_t cropY = subHeight * (uint64_t{window[2]} + window[3]);
  if (width == 0 || height == 0 || width > kMaxDimension || height > kMaxDimension ||
      cropX >= width || cropY >= height) {
    return false;
  }
  info.width = static_cast<uint32_t>(width - cropX);
  info.height = static_cast<uint32_t>(height - cropY);
  return true;
}

}  // namespace

Result<HevcSps> parseHevcSps(ByteSpan nal) {
  if (nal.size() < 3) return truncatedError("HEVC SPS is shorter than 3 bytes");
  if (hevcNalType(nal[0]) != kHevcNalSps) return invalidError("NAL unit is not an HEVC SPS");
  if (((nal[0] & 0x01) << 5 | nal[1] >> 3) != 0) {
    return unsupportedError("HEVC SPS of a layer other than the base layer");
  }
  const Bytes rbsp = unescapeRbsp(nal.subspan(2));
  BitReader reader(rbsp);
  HevcSps sps;
  reader.skipBits(4);  // sps_video_parameter_set_id
  const unsigned maxSubLayersMinus1 = reader.readBits(3);
  sps.temporalIdNesting = reader.readFlag();
  if (maxSubLayersMinus1 > 6) return invalidError("HEVC sps_max_sub_layers_minus1 is 7");
  sps.maxSubLayers = static_cast<uint8_t>(maxSubLayersMinus1 + 1);
  sps.ptl = readProfileTierLevel(reader, maxSubLayersMinus1);
  if (reader.readUe() > 15) return invalidError("HEVC sps_seq_parameter_set_id out of range");
  const bool formatOk = readPictureFormat(reader, sps.info);
  if (!reader.ok()) return truncatedError("HEVC SPS is truncated");
  if (!formatOk) return invalidError("HEVC SPS picture format out of range");
  sps.info.profile = sps.ptl.profileIdc;
  sps.info.level = sps.ptl.levelIdc;
  sps.info.codecString = hevcCodecString(sps.ptl);
  sps.info.fps = readFrameRate(reader, maxSubLayersMinus1).value_or(0);
  return sps;
}

}  // namespace tidecast::core::media
