"""Browser playback across an ABR ladder: ffmpeg publishes testsrc2 854x480 30 fps (H.264, a
keyframe a second) + a sine by RTMP into an app whose streams tidecast transcodes in-process
to 360p and 240p; headless Chromium plays `/live/<key>/index.m3u8` in hls.js (low-latency
mode) and the page forces a level switch through hls.currentLevel every few seconds. Every
level must be played, and playback must go on without a stall: the renditions' segments
start where the source's do, so the player can change level at any segment."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import browser_harness  # noqa: E402
from harness import LOCALHOST, Tidecast, wait_until  # noqa: E402

KEY = "abr"
FPS = 30
WIDTH, HEIGHT = 854, 480
PLAY_SECONDS = 16
SWITCH_EVERY_SECONDS = 3
MIN_ADVANCED_SECONDS = 13
# An immediate switch (hls.currentLevel) flushes the buffer: the player refills it from
# complete segments this far behind the live edge.
LIVE_DELAY = 3
PUBLISH_SECONDS = 240  # ffmpeg stops by itself past this, whatever happens to the test
LADDER = {"source": True, "renditions": [
    {"name": "360p", "height": 360, "video_bitrate": 600000, "maxrate": 750000,
     "bufsize": 750000, "preset": "ultrafast"},
    {"name": "240p", "height": 240, "video_bitrate": 300000, "maxrate": 375000,
     "bufsize": 375000, "preset": "ultrafast"},
]}


def publish_command(url):
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", str(PUBLISH_SECONDS),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k", "-f", "flv", url]


class TranscodePlaybackTest(unittest.TestCase):

    def setUp(self):
        browser_harness.require_browser()
        self.tmp = tempfile.mkdtemp(prefix="tidecast-browser-abr-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        server = Tidecast({"apps": {"live": {"transcode": "abr"}},
                           "cmaf": {"segment_target_ms": 1000},
                           "transcode": {"ladders": {"abr": LADDER}}},
                          port_keys=["rtmp.port"])
        self.server = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)
        log_path = os.path.join(self.tmp, "publisher.log")
        url = f"rtmp://{LOCALHOST}:{self.server.ports['rtmp.port']}/live/{KEY}"
        with open(log_path, "wb") as log:
            publisher = subprocess.Popen(publish_command(url), stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(publisher.wait)
        self.addCleanup(lambda: publisher.poll() is None and publisher.kill())

    def test_hlsjs_switches_levels_on_demand_without_a_stall(self):
        def three_variants():
            status, _, body = self.server.get(f"/live/{KEY}/index.m3u8")
            return status == 200 and body.decode().count("#EXT-X-STREAM-INF") == 3
        try:
            wait_until(three_variants, 30, interval=0.2,
                       message="a multivariant playlist with the source and two renditions")
        except AssertionError:
            self.server.dump_log("no ladder")
            raise
        result = browser_harness.play("hls", self.server.url(f"/live/{KEY}/index.m3u8"),
                                      seconds=PLAY_SECONDS, low_latency=True,
                                      live_delay=LIVE_DELAY, switch_levels=SWITCH_EVERY_SECONDS)
        sys.stderr.write(f"[browser] {browser_harness.describe(result)} levels="
                         f"{result.get('levels')} forced={result.get('forcedLevels')} "
                         f"switched={result.get('switchedLevels')} "
                         f"played={result.get('playedLevels')}\n")
        problems = []
        if not result["started"]:
            problems.append("playback did not start")
        if browser_harness.fatal_errors(result) or result["exitCode"] != 0:
            problems.append(f"fatal errors (exit code {result['exitCode']})")
        if result["stalls"] != 0:
            problems.append(f"{result['stalls']} stall(s), {result['stalledMs']} ms in all")
        if result["advancedSeconds"] < MIN_ADVANCED_SECONDS:
            problems.append(f"played {result['advancedSeconds']} s, less than "
                            f"{MIN_ADVANCED_SECONDS}")
        heights = sorted(level["height"] for level in result.get("levels") or [])
        if heights != [240, 360, 480]:
            problems.append(f"hls.js saw levels of heights {heights}, not 240/360/480")
        forced = result.get("forcedLevels") or []
        if len(forced) < 3:
            problems.append(f"only {len(forced)} switches were forced")
        switched = set(result.get("switchedLevels") or [])
        played = set(result.get("playedLevels") or [])
        if not set(forced) <= switched:
            problems.append(f"hls.js did not switch to every level forced ({forced} vs "
                            f"{sorted(switched)})")
        if len(played) < 3:
            problems.append(f"fragments of only levels {sorted(played)} were played")
        if problems:
            self.server.dump_log(problems[0])
        self.assertEqual(problems, [], browser_harness.explain(result, problems))


if __name__ == "__main__":
    unittest.main()
