// The publisher's raw media, generated: a moving YUV 4:2:0 test picture and a sine tone.
#pragma once

#include <cstdint>

extern "C" {
#include <libavutil/frame.h>
}

namespace tidecast::bench::latency {

// Draws picture `index` into a writable YUV420P frame: diagonal stripes scrolling by, a box
// crossing the picture and a band of noise that changes every picture, so that every frame
// costs bits the way camera content does (the encoder's rate control, not the content, sets
// the bit rate).
void drawTestPicture(AVFrame& frame, int64_t index);

// Fills a writable planar float (FLTP) frame with a 440 Hz tone at -20 dBFS, starting at
// sample `firstSample` of the tone, same on every channel.
void fillSine(AVFrame& frame, int64_t firstSample);

}  // namespace tidecast::bench::latency
