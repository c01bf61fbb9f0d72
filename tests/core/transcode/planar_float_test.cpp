#include "core/transcode/planar_float.h"

#include <gtest/gtest.h>

#include <cstdint>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "core/transcode/av_ptr.h"

namespace tidecast::core::transcode {
namespace {

FramePtr frame(AVSampleFormat format, int samples) {
  FramePtr f(av_frame_alloc());
  f->format = format;
  f->nb_samples = samples;
  av_channel_layout_default(&f->ch_layout, 2);
  EXPECT_GE(av_frame_get_buffer(f.get(), 0), 0);
  return f;
}

TEST(PlanarFloatTest, InterleavedS16BecomesPlanarFloat) {
  FramePtr f = frame(AV_SAMPLE_FMT_S16, 3);
  auto* s = reinterpret_cast<int16_t*>(f->data[0]);
  const int16_t values[6] = {0, -32768, 16384, 32767, -16384, 1};
  std::copy_n(values, 6, s);
  std::vector<std::vector<float>> planes;
  ASSERT_TRUE(planarFloatSupported(AV_SAMPLE_FMT_S16));
  toPlanarFloat(*f, planes);
  ASSERT_EQ(planes.size(), 2u);
  ASSERT_EQ(planes[0].size(), 3u);
  EXPECT_FLOAT_EQ(planes[0][0], 0.0f);
  EXPECT_FLOAT_EQ(planes[1][0], -1.0f);
  EXPECT_FLOAT_EQ(planes[0][1], 0.5f);
  EXPECT_NEAR(planes[1][1], 1.0f, 1e-4);
  EXPECT_FLOAT_EQ(planes[0][2], -0.5f);
}

TEST(PlanarFloatTest, PlanarS16AndFloatLayouts) {
  FramePtr p = frame(AV_SAMPLE_FMT_S16P, 2);
  reinterpret_cast<int16_t*>(p->data[0])[1] = 8192;
  reinterpret_cast<int16_t*>(p->data[1])[0] = -8192;
  std::vector<std::vector<float>> planes;
  toPlanarFloat(*p, planes);
  EXPECT_FLOAT_EQ(planes[0][1], 0.25f);
  EXPECT_FLOAT_EQ(planes[1][0], -0.25f);

  FramePtr f = frame(AV_SAMPLE_FMT_FLT, 2);
  const float values[4] = {0.1f, 0.2f, 0.3f, 0.4f};
  std::copy_n(values, 4, reinterpret_cast<float*>(f->data[0]));
  toPlanarFloat(*f, planes);
  EXPECT_FLOAT_EQ(planes[0][1], 0.3f);
  EXPECT_FLOAT_EQ(planes[1][1], 0.4f);

  EXPECT_FALSE(planarFloatSupported(AV_SAMPLE_FMT_U8));
  EXPECT_FALSE(planarFloatSupported(AV_SAMPLE_FMT_DBLP));
}

}  // namespace
}  // namespace tidecast::core::transcode
