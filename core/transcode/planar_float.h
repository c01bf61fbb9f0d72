// Decoded audio as planar 32-bit float, the only sample format FFmpeg's native AAC encoder
// takes. The decoders the transcoder uses give it already (opus, mp3float, mp2float: fltp);
// the few other layouts a decoder may give are converted here sample by sample (a cast or a
// scale, no resampling: the AAC encoder takes the source's sample rate as it is).
#pragma once

extern "C" {
#include <libavutil/frame.h>
}

#include <vector>

namespace tidecast::core::transcode {

// True when the frame's format is one of fltp, flt, s16p, s16, s32p, s32.
bool planarFloatSupported(int format);

// The frame's samples as one float vector per channel (fltp: copied as they are). The caller
// checked planarFloatSupported(); `planes` is resized to the frame's channels and samples.
void toPlanarFloat(const AVFrame& frame, std::vector<std::vector<float>>& planes);

}  // namespace tidecast::core::transcode
