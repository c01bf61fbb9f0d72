// Fuzz target: codec configuration and parameter set parsers (the first byte picks one:
// avcC, hvcC, av1C, AudioSpecificConfig, H.264 SPS, HEVC SPS, ADTS, AV1 OBUs, Annex B) must
// give a value or a media.* error, never a crash or hang. Where a builder exists, what
// parses must rebuild and parse again to the same parameter sets.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/media/aac.h"
#include "core/media/av1.h"
#include "core/media/h264.h"
#include "core/media/hevc.h"
#include "core/media/nal_units.h"

namespace {

using namespace tidecast::core::media;

template <class T>
void checkError(const tidecast::core::Result<T>& result) {
  if (!result.ok() &&
      (result.error().code.rfind("media.", 0) != 0 || result.error().message.empty())) {
    __builtin_trap();
  }
}

std::vector<ByteSpan> spans(const std::vector<Bytes>& units) {
  return {units.begin(), units.end()};
}

void fuzzAvcConfig(ByteSpan input) {
  auto config = parseAvcConfig(input);
  checkError(config);
  if (!config.ok() || !videoInfoOf(*config).ok()) return;
  auto built = buildAvcConfig(spans(config->sps), spans(config->pps));
  if (!built.ok()) __builtin_trap();  // the first SPS parsed, so the record must build
  auto again = parseAvcConfig(*built);
  if (!again.ok() || again->sps != config->sps || again->pps != config->pps) __builtin_trap();
}

void fuzzHevcConfig(ByteSpan input) {
  auto config = parseHevcConfig(input);
  checkError(config);
  if (!config.ok() || !videoInfoOf(*config).ok()) return;
  auto built = buildHevcConfig(spans(config->vps), spans(config->sps), spans(config->pps));
  if (!built.ok()) __builtin_trap();
  auto again = parseHevcConfig(*built);
  if (!again.ok() || again->vps != config->vps || again->sps != config->sps ||
      again->pps != config->pps) {
    __builtin_trap();
  }
}

void fuzzAv1Config(ByteSpan input) {
  auto config = parseAv1Config(input);
  checkError(config);
  if (config.ok()) checkError(videoInfoOf(*config));
}

void fuzzAnnexB(ByteSpan input) {
  const Bytes prefixed = annexBToLengthPrefixed(input);
  auto annexB = lengthPrefixedToAnnexB(prefixed, 4);
  if (!annexB.ok() || annexBToLengthPrefixed(*annexB) != prefixed) __builtin_trap();
  (void)h264IsKeyframe(prefixed, 4);
  (void)hevcIsKeyframe(input, 2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const ByteSpan input(data + 1, size - 1);
  switch (data[0] % 9) {
    case 0:
      fuzzAvcConfig(input);
      break;
    case 1:
      fuzzHevcConfig(input);
      break;
    case 2:
      fuzzAv1Config(input);
      break;
    case 3:
      checkError(parseAudioSpecificConfig(input));
      break;
    case 4:
      checkError(parseH264Sps(input));
      break;
    case 5:
      checkError(parseHevcSps(input));
      break;
    case 6:
      checkError(parseAdtsHeader(input));
      break;
    case 7:
      checkError(parseAv1SequenceHeader(input));
      break;
    default:
      fuzzAnnexB(input);
      break;
  }
  return 0;
}
