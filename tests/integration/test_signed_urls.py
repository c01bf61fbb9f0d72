"""Signed playback URLs with the real binary: an app with playback_secret refuses unsigned,
expired and tampered viewers on every playback route (HTTP-FLV, LL-HLS, DASH, CMAF objects,
RTMP play) and plays signed ones with ffprobe (the HLS playlists hand the signature on)."""

import json
import os
import subprocess
import unittest

from harness import LOCALHOST, SOURCE_DIR, Tidecast, wait_until


def publish_command(url, seconds):
    """ffmpeg publishing testsrc2 + sine with a keyframe every second (CMAF segments)."""
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url]

SECRET = "integration-secret"


def signed_query(app="live", key="test", ttl=120, secret=SECRET):
    out = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "sign-url"), "--secret", secret,
                          "--ttl", str(ttl), f"{app}/{key}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.splitlines()[0].split("?", 1)[1]


class SignedUrlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Tidecast({"apps": {"live": {"playback_secret": SECRET,
                                                 "playback_ttl_ms": 600000}},
                               "cmaf": {"segment_target_ms": 1000}},
                              port_keys=["rtmp.port"]).start()
        cls.rtmp = f"rtmp://{LOCALHOST}:{cls.server.ports['rtmp.port']}/live/test"
        cls.publisher = subprocess.Popen(publish_command(cls.rtmp, seconds=40),
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
        query = signed_query()
        wait_until(lambda: cls.server.get(f"/live/test/index.m3u8?{query}")[0] == 200, 30,
                   message="the signed multivariant playlist")

    @classmethod
    def tearDownClass(cls):
        cls.publisher.kill()
        cls.publisher.wait()
        cls.server.stop()
        cls.server.cleanup()

    def assertForbidden(self, path, code):
        status, _, body = self.server.get(path)
        self.assertEqual(status, 403, f"{path}: {body[:200]}")
        self.assertEqual(json.loads(body)["error"]["code"], code, path)

    def test_unsigned_expired_and_tampered_requests_get_403_on_every_route(self):
        expired = signed_query(ttl=-10)
        valid = signed_query()
        tampered = valid[:-1] + ("0" if valid[-1] != "0" else "1")
        other_stream = signed_query(key="other")
        for path in ("/live/test.flv", "/live/test/index.m3u8", "/live/test/video.m3u8",
                     "/live/test/index.mpd", "/live/test/video/init.mp4",
                     "/live/test/video/0.m4s"):
            self.assertForbidden(path, "playback.unsigned")
            self.assertForbidden(f"{path}?{expired}", "playback.expired")
            self.assertForbidden(f"{path}?{tampered}", "playback.bad_signature")
            self.assertForbidden(f"{path}?{other_stream}", "playback.bad_signature")
        self.assertForbidden(f"/live/test.flv?{signed_query(ttl=3600)}", "playback.ttl_too_long")

    def test_signed_http_flv_plays(self):
        url = self.server.url(f"/live/test.flv?{signed_query()}")
        probe = subprocess.run(["ffprobe", "-v", "error", "-read_intervals", "%+2",
                                "-select_streams", "v:0", "-count_packets", "-show_entries",
                                "stream=codec_name,nb_read_packets", "-of", "json", url],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(probe.returncode, 0, probe.stderr)
        stream = json.loads(probe.stdout)["streams"][0]
        self.assertEqual(stream["codec_name"], "h264")
        self.assertGreater(int(stream["nb_read_packets"]), 10)

    def test_signed_hls_plays_and_its_playlists_carry_the_signature(self):
        query = signed_query()
        status, _, body = self.server.get(f"/live/test/index.m3u8?{query}")
        self.assertEqual(status, 200)
        self.assertIn(f"video.m3u8?{query}", body.decode())
        status, _, body = self.server.get(f"/live/test/video.m3u8?{query}")
        self.assertEqual(status, 200)
        self.assertIn(f".m4s?{query}", body.decode())
        probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0",
                                "-show_entries", "stream=codec_name,width,height", "-of", "json",
                                self.server.url(f"/live/test/index.m3u8?{query}")],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertEqual(json.loads(probe.stdout)["streams"][0]["codec_name"], "h264")

    def test_signed_dash_mpd_carries_the_signature_in_its_templates(self):
        query = signed_query()
        status, _, body = self.server.get(f"/live/test/index.mpd?{query}")
        self.assertEqual(status, 200)
        self.assertIn("t$Time$.m4s?" + query.replace("&", "&amp;"), body.decode())
        status, _, _ = self.server.get(f"/live/test/video/init.mp4?{query}")
        self.assertEqual(status, 200)

    def test_rtmp_play_needs_the_signature_in_the_stream_name(self):
        refused = subprocess.run(["ffprobe", "-v", "error", "-show_streams", self.rtmp],
                                 capture_output=True, text=True, timeout=30)
        self.assertNotEqual(refused.returncode, 0)
        self.server.wait_for_log("rtmp.play_refused .* code=playback.unsigned")
        allowed = subprocess.run(["ffprobe", "-v", "error", "-show_streams",
                                  f"{self.rtmp}?{signed_query()}"],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(allowed.returncode, 0, allowed.stderr)
        self.assertIn("codec_name=h264", allowed.stdout)


if __name__ == "__main__":
    unittest.main()
