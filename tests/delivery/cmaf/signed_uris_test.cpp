#include "delivery/cmaf/signed_uris.h"

#include <gtest/gtest.h>

namespace tidecast::delivery::cmaf {
namespace {

TEST(SignedUris, PlaylistUrisAndUriAttributesCarryTheQuery) {
  std::string playlist =
      "#EXTM3U\n#EXT-X-MAP:URI=\"video/init1.mp4\"\n#EXTINF:2.0,\nvideo/7.m4s\n"
      "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"video/p9.m4s\"\n";
  EXPECT_EQ(addQueryToPlaylistUris(playlist, "e=1&s=2"),
            "#EXTM3U\n#EXT-X-MAP:URI=\"video/init1.mp4?e=1&s=2\"\n#EXTINF:2.0,\n"
            "video/7.m4s?e=1&s=2\n#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"video/p9.m4s?e=1&s=2\"\n");
  std::string mpd =
      "<SegmentTemplate initialization=\"video/init1.mp4\" media=\"video/$Number$.m4s\"/>";
  EXPECT_EQ(addQueryToMpdUris(mpd, "e=1&s=2"),
            "<SegmentTemplate initialization=\"video/init1.mp4?e=1&amp;s=2\" "
            "media=\"video/$Number$.m4s?e=1&amp;s=2\"/>");
}

}  // namespace
}  // namespace tidecast::delivery::cmaf
