"""RTMP ingest, session management and fan-out, driven by real clients: ffmpeg publishes
testsrc2 + sine (H.264/AAC); ffprobe, ffmpeg and rtmpdump play it back by RTMP and HTTP-FLV."""

import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (LOCALHOST, ProcessTestCase, Tidecast, metric_value, public_stream_name,
                     wait_until)
from rtmp_client import RtmpClient, chunk_message

FPS = 30
SECONDS = 8
FRAMES = FPS * SECONDS
WIDTH, HEIGHT = 640, 360
# live/test as metric labels and log lines name it (the key never shows).
TEST_STREAM = public_stream_name("live/test")


def publish_command(url, seconds=SECONDS, realtime=True, heavy=False):
    """ffmpeg publishing testsrc2 + sine. One GOP for the whole stream: a player that joins
    while it is live gets every frame. `heavy`: 720p lossless (~20 Mbit/s), to outgrow the
    kernel's socket buffers quickly."""
    size = "1280x720" if heavy else f"{WIDTH}x{HEIGHT}"
    return (["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"] +
            (["-re"] if realtime else []) +
            ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={FPS}",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
             "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"] +
            (["-qp", "0"] if heavy else []) +
            ["-g", str(FPS * seconds * 2), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
             "-f", "flv", url])


def count_packets(path_or_url, stream="v:0", timeout=60):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", stream, "-count_packets",
         "-show_entries", "stream=codec_name,width,height,nb_read_packets,sample_rate,channels",
         "-of", "json", path_or_url],
        capture_output=True, text=True, timeout=timeout, check=True)
    return json.loads(out.stdout)["streams"][0]


class RtmpTest(ProcessTestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tidecast-rtmp-")
        self.addCleanup(shutil.rmtree, self.tmp, True)



    def server(self, overrides=None):
        return Tidecast(overrides or {}, port_keys=["rtmp.port"])

    def rtmp_url(self, server, key="test"):
        return f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/{key}"

    def wait_live(self, server, count=1, timeout=20):
        wait_until(lambda: metric_value(server.get("/metrics")[2].decode(),
                                        "tidecast_core_live_streams") == count,
                   timeout, message=f"{count} live stream(s)")

    def test_publish_then_play_by_rtmp_flv_and_rtmpdump_with_every_frame(self):
        with self.server() as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_live(server)
            outputs = {name: os.path.join(self.tmp, name + ".flv")
                       for name in ("rtmp", "httpflv", "rtmpdump")}
            players = [
                self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                            self.rtmp_url(server), "-c", "copy", "-f", "flv", outputs["rtmp"]]),
                self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                            f"http://{LOCALHOST}:{server.port}/live/test.flv", "-c", "copy",
                            "-f", "flv", outputs["httpflv"]]),
                self.spawn(["rtmpdump", "-q", "--live", "-r", self.rtmp_url(server),
                            "-o", outputs["rtmpdump"]]),
            ]
            self.assertEqual(publisher.wait(timeout=60), 0, publisher.stderr.read())
            for player in players:
                player.wait(timeout=30)  # the stream's end ends every player
            for name, path in outputs.items():
                video = count_packets(path)
                self.assertEqual(video["codec_name"], "h264", name)
                self.assertEqual((video["width"], video["height"]), (WIDTH, HEIGHT), name)
                self.assertEqual(int(video["nb_read_packets"]), FRAMES, name)
                audio = count_packets(path, "a:0")
                self.assertEqual(audio["codec_name"], "aac", name)
                self.assertEqual(int(audio["sample_rate"]), 44100, name)
            log = server.log_text()
            self.assertIn(f"stream.started stream={TEST_STREAM} ", log)
            self.assertIn(f"stream.stopped stream={TEST_STREAM} ", log)

    def test_ffprobe_reads_codec_and_resolution_of_a_live_stream(self):
        with self.server() as server:
            self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_live(server)
            for url in (self.rtmp_url(server), f"http://{LOCALHOST}:{server.port}/live/test.flv"):
                probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                                        "stream=codec_name,width,height,sample_rate",
                                        "-of", "json", url],
                                       capture_output=True, text=True, timeout=30, check=True)
                streams = {s["codec_name"]: s for s in json.loads(probe.stdout)["streams"]}
                self.assertEqual(sorted(streams), ["aac", "h264"], url)
                self.assertEqual((streams["h264"]["width"], streams["h264"]["height"]),
                                 (WIDTH, HEIGHT), url)
                self.assertEqual(streams["aac"]["sample_rate"], "44100", url)

    def test_metrics_report_codec_details_fps_and_bitrate_of_a_live_stream(self):
        with self.server() as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_live(server)

            def fps():
                text = server.get("/metrics")[2].decode()
                series = f'tidecast_core_stream_video_fps{{stream="{TEST_STREAM}"}}'
                return metric_value(text, series)

            wait_until(lambda: (fps() or 0) > 25, 15, message="measured fps near 30")
            text = server.get("/metrics")[2].decode()
            info = re.search(r'^tidecast_core_stream_info\{(.*)\} 1$', text, re.M)
            self.assertIsNotNone(info, text)
            labels = dict(re.findall(r'(\w+)="([^"]*)"', info.group(1)))
            self.assertEqual(labels["stream"], TEST_STREAM)
            self.assertEqual(labels["video_codec"], "h264")
            self.assertEqual(labels["resolution"], f"{WIDTH}x{HEIGHT}")
            self.assertTrue(labels["video_codec_string"].startswith("avc1."), labels)
            self.assertEqual(labels["audio_codec"], "aac")
            self.assertEqual(labels["audio_sample_rate"], "44100")
            self.assertEqual(labels["audio_channels"], "1")
            bitrate = metric_value(
                text, f'tidecast_core_stream_bitrate_bits_per_second{{stream="{TEST_STREAM}"}}')
            self.assertGreater(bitrate, 100_000)
            publisher.wait(timeout=60)

    def test_second_publisher_on_a_live_key_is_refused(self):
        with self.server() as server:
            first = self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_live(server)
            second = subprocess.run(publish_command(self.rtmp_url(server), seconds=2),
                                    capture_output=True, text=True, timeout=30)
            self.assertNotEqual(second.returncode, 0)
            self.assertIn("code=hub.already_publishing", server.log_text())
            self.assertIsNone(first.poll(), "the first publisher keeps going")
            first.wait(timeout=60)

    def test_unknown_stream_key_is_refused(self):
        with self.server({"apps": {"live": {"publish_keys": ["secret"]}}}) as server:
            refused = subprocess.run(publish_command(self.rtmp_url(server, "wrong"), seconds=2),
                                     capture_output=True, text=True, timeout=30)
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("code=hub.bad_key", server.log_text())
            allowed = subprocess.run(publish_command(self.rtmp_url(server, "secret"), seconds=1,
                                                     realtime=False),
                                     capture_output=True, text=True, timeout=30)
            self.assertEqual(allowed.returncode, 0, allowed.stderr)

    def test_play_of_a_stream_that_is_not_live_fails_cleanly(self):
        with self.server() as server:
            result = subprocess.run(["ffprobe", "-v", "error", self.rtmp_url(server, "nobody")],
                                    capture_output=True, text=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
            status, _, body = server.get("/live/nobody.flv")
            self.assertEqual(status, 404)
            self.assertEqual(json.loads(body)["error"]["code"], "stream_not_found")

    def test_garbage_and_oversized_chunks_leave_a_parallel_stream_intact(self):
        with self.server({"rtmp": {"limits": {"max_message_bytes": 1048576}}}) as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_live(server)
            out = os.path.join(self.tmp, "player.flv")
            player = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                                 self.rtmp_url(server), "-c", "copy", "-f", "flv", out])
            port = server.ports["rtmp.port"]
            # Not RTMP at all.
            with socket.create_connection((LOCALHOST, port), timeout=5) as s:
                s.sendall(b"GET / HTTP/1.1\r\n\r\n" + os.urandom(4000))
                self.assertEqual(s.recv(10), b"", "wrong version byte closes the connection")
            # A valid start, then a Set Chunk Size far over the limit.
            bad = RtmpClient(port)
            bad.handshake()
            bad.send_raw(chunk_message(2, 1, 0, (0x7FFFFFFF).to_bytes(4, "big")))
            wait_until(lambda: "rtmp.chunk_size_too_large" in server.log_text(), 10)
            bad.close()
            # A message declaring more than the message size limit.
            big = RtmpClient(port)
            big.handshake()
            header = bytes([3]) + b"\x00\x00\x00" + (2 << 20).to_bytes(3, "big") + b"\x14" + \
                b"\x00\x00\x00\x00"
            big.send_raw(header + b"\x00" * 100)
            wait_until(lambda: "rtmp.message_too_large" in server.log_text(), 10)
            big.close()
            self.assertEqual(publisher.wait(timeout=60), 0)
            player.wait(timeout=30)
            self.assertEqual(int(count_packets(out)["nb_read_packets"]), FRAMES)

    def test_player_that_stops_reading_is_dropped_while_others_go_on(self):
        overrides = {"streams": {"player_max_backlog_bytes": 1 << 20, "player_max_backlog_ms": 2000}}
        with self.server(overrides) as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server), heavy=True))
            self.wait_live(server)
            stalled = RtmpClient(server.ports["rtmp.port"], receive_buffer=4096)
            stalled.handshake()
            stalled.connect()
            stalled.play("test")  # and never read again
            out = os.path.join(self.tmp, "healthy.flv")
            healthy = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                  "-i", f"http://{LOCALHOST}:{server.port}/live/test.flv",
                                  "-c", "copy", "-f", "flv", out])
            wait_until(lambda: "rtmp.player_too_slow" in server.log_text(), 30,
                       message="the stalled player is dropped")
            self.assertEqual(publisher.wait(timeout=60), 0)
            healthy.wait(timeout=30)
            self.assertEqual(int(count_packets(out)["nb_read_packets"]), FRAMES)
            stalled.close()

    def test_publisher_leaving_stops_the_stream_and_ends_players(self):
        with self.server() as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server), seconds=3))
            self.wait_live(server)
            player = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                                 self.rtmp_url(server), "-c", "copy", "-f", "null", "-"])
            publisher.wait(timeout=30)
            self.assertEqual(player.wait(timeout=15), 0, "the player sees end of stream")
            self.wait_live(server, 0)
            self.assertIn(f"stream.stopped stream={TEST_STREAM} ", server.log_text())


if __name__ == "__main__":
    unittest.main()
