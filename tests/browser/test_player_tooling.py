"""The browser tooling itself, without tidecast: ffmpeg writes a live fMP4 HLS stream and a
low-latency (chunked) DASH stream into a temporary folder, static_server.py serves it on the
loopback with CORS, and play.mjs must play both in headless Chromium (hls.js, dashjs) without
a stall, and must fail when the server sends no CORS header.

When a tidecast browser test fails and this one passes, the fault is tidecast's."""

import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import browser_harness  # noqa: E402
from harness import wait_until  # noqa: E402

PLAY_SECONDS = 10
MIN_ADVANCED_SECONDS = 8
MIN_FPS = 27  # frames shown per second of media played; the source has 30
WIDTH, HEIGHT = 640, 360
PRODUCER_SECONDS = 150  # ffmpeg stops by itself past this, whatever happens to the test


def ffmpeg_source():
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
            "-t", str(PRODUCER_SECONDS),
            "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-g", "30",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"]


def hls_command():
    return ffmpeg_source() + [
        "-f", "hls", "-hls_segment_type", "fmp4", "-hls_time", "1", "-hls_list_size", "6",
        "-hls_flags", "delete_segments+temp_file+program_date_time",
        "-hls_fmp4_init_filename", "init.mp4", "index.m3u8"]


def low_latency_dash_command(clock_url):
    return ffmpeg_source() + [
        "-f", "dash", "-ldash", "1", "-streaming", "1", "-seg_duration", "1",
        "-frag_type", "duration", "-frag_duration", "0.2", "-use_template", "1",
        "-use_timeline", "0", "-window_size", "6", "-extra_window_size", "4",
        "-target_latency", "1.5", "-utc_timing_url", clock_url,
        "-adaptation_sets", "id=0,streams=v id=1,streams=a", "index.mpd"]


class PlayerToolingTest(unittest.TestCase):
    procs = []
    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.procs = []
        cls.missing = browser_harness.missing_prerequisites()
        if cls.missing:
            return  # each test fails with the list; nothing to start
        cls.tmp = tempfile.mkdtemp(prefix="tidecast-browser-tooling-")
        for sub in ("hls", "dash"):
            os.mkdir(os.path.join(cls.tmp, sub))
        try:
            cls.port = cls.start_static_server(cors=True)
            cls.no_cors_port = cls.start_static_server(cors=False)
            cls.spawn(hls_command(), cwd=os.path.join(cls.tmp, "hls"), name="ffmpeg-hls")
            cls.spawn(low_latency_dash_command(f"{cls.base(cls.port)}time"),
                      cwd=os.path.join(cls.tmp, "dash"), name="ffmpeg-dash")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for proc, _ in cls.procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()
        cls.procs = []
        if cls.tmp:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def spawn(cls, cmd, cwd, name, stdout=subprocess.DEVNULL):
        log = open(os.path.join(cls.tmp, f"{name}.log"), "wb")
        with log:
            proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=stdout,
                                    stderr=log)
        cls.procs.append((proc, name))
        return proc

    @classmethod
    def start_static_server(cls, cors):
        cmd = [sys.executable, os.path.join(HERE, "static_server.py"), cls.tmp]
        if not cors:
            cmd.append("--no-cors")
        name = "static-server" if cors else "static-server-no-cors"
        proc = cls.spawn(cmd, cwd=HERE, name=name, stdout=subprocess.PIPE)
        ready, _, _ = select.select([proc.stdout], [], [], 10.0)
        line = proc.stdout.readline().decode() if ready else ""
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if not match:
            raise AssertionError(f"static_server.py did not start within 10 s: {line!r}")
        return int(match.group(1))

    @staticmethod
    def base(port):
        return f"http://127.0.0.1:{port}/"

    def setUp(self):
        browser_harness.require_browser()
        for proc, name in self.procs:
            if proc.poll() is not None:
                self.fail(f"{name} exited with {proc.returncode}: {self.log(name)[-2000:]}")

    def log(self, name):
        try:
            with open(os.path.join(self.tmp, f"{name}.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_for_files(self, folder, pattern, count, timeout=20.0):
        regex = re.compile(pattern)
        path = os.path.join(self.tmp, folder)
        wait_until(lambda: len([n for n in os.listdir(path) if regex.fullmatch(n)]) >= count,
                   timeout, interval=0.1,
                   message=f"ffmpeg wrote fewer than {count} files /{pattern}/ in {folder} "
                           f"within {timeout} s")

    def assert_played(self, result):
        sys.stderr.write(f"[browser] ffmpeg stream, {browser_harness.describe(result)}\n")
        problems = browser_harness.played_smoothly_problems(
            result, WIDTH, HEIGHT, MIN_ADVANCED_SECONDS, MIN_FPS)
        self.assertEqual(problems, [], browser_harness.explain(result, problems))
        return result

    def test_hlsjs_plays_live_fmp4_hls_without_stalls(self):
        self.wait_for_files("hls", r"index\d+\.m4s", 3)
        self.assert_played(browser_harness.play(
            "hls", f"{self.base(self.port)}hls/index.m3u8", seconds=PLAY_SECONDS,
            low_latency=True))

    def test_dashjs_plays_chunked_low_latency_dash_near_its_target(self):
        self.wait_for_files("dash", r"chunk-stream0-\d+\.m4s", 2)
        result = self.assert_played(browser_harness.play(
            "dash", f"{self.base(self.port)}dash/index.mpd", seconds=PLAY_SECONDS,
            low_latency=True))
        # Chunked delivery of the segment in progress is what lets dashjs sit about 1 s
        # behind; whole-segment delivery could not get under 2 s with 1 s segments.
        self.assertLess(result["latency"]["median"], 2.0, browser_harness.describe(result))

    def test_play_fails_when_the_server_sends_no_cors_header(self):
        self.wait_for_files("hls", r"index\d+\.m4s", 1)
        started = time.monotonic()
        result = browser_harness.play("hls", f"{self.base(self.no_cors_port)}hls/index.m3u8",
                                      seconds=PLAY_SECONDS, startup_timeout=10)
        self.assertFalse(result["started"], browser_harness.describe(result))
        self.assertEqual(result["exitCode"], 1)
        self.assertTrue(browser_harness.fatal_errors(result), result["errors"])
        self.assertTrue(any("CORS" in e["message"] for e in result["errors"]), result["errors"])
        self.assertLess(time.monotonic() - started, 30.0)


if __name__ == "__main__":
    unittest.main()
