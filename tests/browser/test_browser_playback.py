"""Browser playback of tidecast's LL-HLS and DASH: ffmpeg publishes testsrc2 640x360 30 fps
(H.264, one keyframe a second) + a sine (AAC) by RTMP; headless Debian Chromium plays
`/live/<key>/index.m3u8` in hls.js (low-latency mode) and `/live/<key>/index.mpd` in dashjs
(low-latency settings) for 10 s each, and must play on without a stall. The players' live
latency is printed with each result.

The media is fetched cross-origin (the player page lives on a made-up origin), so tidecast's
CORS header is part of what is tested."""

import contextlib
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

KEY = "browser"
FPS = 30
WIDTH, HEIGHT = 640, 360
PLAY_SECONDS = 10
MIN_ADVANCED_SECONDS = 8
MIN_FPS = 27  # frames shown per second of media played; the source has 30
MANIFEST_TIMEOUT = 20.0  # from the publisher's start to a manifest answering 200
PUBLISH_SECONDS = 240  # ffmpeg stops by itself past this, whatever happens to the test

MANIFEST_TYPES = {
    "index.m3u8": ("application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl"),
    "index.mpd": ("application/dash+xml",),
}


def publish_command(url):
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", str(PUBLISH_SECONDS),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
            "-g", str(FPS), "-keyint_min", str(FPS), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k", "-f", "flv", url]


class BrowserPlaybackTest(unittest.TestCase):
    server = None
    publisher = None
    tmp = None

    @classmethod
    def setUpClass(cls):
        if browser_harness.missing_prerequisites():
            return  # each test fails with the list; nothing to start
        cls.tmp = tempfile.mkdtemp(prefix="tidecast-browser-")
        try:
            server = Tidecast({}, port_keys=["rtmp.port"])
            cls.server = server.__enter__()
            cls.publisher_log = os.path.join(cls.tmp, "publisher.log")
            url = f"rtmp://{LOCALHOST}:{cls.server.ports['rtmp.port']}/live/{KEY}"
            with open(cls.publisher_log, "wb") as log:
                cls.publisher = subprocess.Popen(publish_command(url), stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=log)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.publisher is not None:
            if cls.publisher.poll() is None:
                cls.publisher.kill()
            cls.publisher.wait()
            cls.publisher = None
        if cls.server is not None:
            cls.server.__exit__(None, None, None)
            cls.server = None
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            cls.tmp = None

    def setUp(self):
        browser_harness.require_browser()
        if self.publisher.poll() is not None:
            with open(self.publisher_log, "rb") as f:
                self.fail(f"the RTMP publisher (ffmpeg) exited with {self.publisher.returncode}: "
                          f"{f.read().decode('utf-8', 'replace')[-2000:]}")

    # -- helpers --

    @contextlib.contextmanager
    def log_on_failure(self):
        """Prints the end of tidecast's log when the block fails."""
        try:
            yield
        except AssertionError as e:
            self.server.dump_log(str(e).splitlines()[0] if str(e) else "failure")
            raise

    def wait_for_manifest(self, name):
        """Waits for GET /live/<key>/<name> to answer 200, then checks what a browser needs of
        the answer: a CORS header and the manifest's media type."""
        path = f"/live/{KEY}/{name}"
        last = {"status": None, "body": b""}

        def ready():
            status, headers, body = self.server.get(path, timeout=5.0)
            last.update(status=status, headers=headers, body=body)
            return status == 200

        try:
            wait_until(ready, MANIFEST_TIMEOUT, interval=0.2)
        except AssertionError:
            raise AssertionError(
                f"GET {path} did not answer 200 within {MANIFEST_TIMEOUT:.0f} s of the RTMP "
                f"publish (last answer: {last['status']} {last['body'][:200]!r}); tidecast must "
                f"serve this manifest while the stream is live") from None
        headers = last["headers"]
        self.assertIn("access-control-allow-origin", headers,
                      f"{path} has no Access-Control-Allow-Origin header; a player page on "
                      f"another origin cannot read it")
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        self.assertIn(content_type, MANIFEST_TYPES[name],
                      f"{path} is served as {content_type!r}")
        return self.server.url(path)

    def play(self, player, url):
        result = browser_harness.play(player, url, seconds=PLAY_SECONDS, low_latency=True)
        sys.stderr.write(f"[browser] tidecast {browser_harness.describe(result)}\n")
        return result

    def assert_played(self, result):
        problems = browser_harness.played_smoothly_problems(
            result, WIDTH, HEIGHT, MIN_ADVANCED_SECONDS, MIN_FPS)
        if any("non-loopback" in e["message"] for e in result["errors"]):
            problems.append("the player reached for a host off the loopback (for DASH: a "
                            "UTCTiming element pointing at tidecast's /time is missing)")
        with self.log_on_failure():
            self.assertEqual(problems, [], browser_harness.explain(result, problems))

    # -- tests --

    def test_hlsjs_plays_low_latency_hls_for_10s_without_stalls(self):
        with self.log_on_failure():
            url = self.wait_for_manifest("index.m3u8")
        self.assert_played(self.play("hls", url))

    def test_dashjs_plays_low_latency_dash_for_10s_without_stalls(self):
        with self.log_on_failure():
            url = self.wait_for_manifest("index.mpd")
        self.assert_played(self.play("dash", url))


if __name__ == "__main__":
    unittest.main()
