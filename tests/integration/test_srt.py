"""SRT ingest and playback with real peers: ffmpeg and srt-live-transmit publish MPEG-TS over
SRT (H.264/AAC, HEVC, H.264/MP2); ffprobe and ffmpeg read the stream back as LL-HLS, DASH,
RTMP, HTTP-FLV and SRT (m=request); MP2, which only SRT playback can carry, is left out of the
others. Handshake refusals (wrong passphrase, unknown key), SRT statistics in the admin API
and /metrics, and a lossy link through a network namespace with tc netem."""

import concurrent.futures
import hashlib
import json
import os
import random
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import (LOCALHOST, ProcessTestCase, Tidecast, metric_value, optional,
                     public_stream_name,
                     wait_until)

FPS = 25
SECONDS = 4
FRAMES = FPS * SECONDS
WIDTH, HEIGHT = 320, 180
ADMIN_TOKEN = "srt-admin-token-for-tests-0123456789"


def srt_url(port, stream_id, host=LOCALHOST, extra=""):
    return f"srt://{host}:{port}?streamid={stream_id}{extra}"


def encode_args(seconds=SECONDS, hevc=False, gop=None, realtime=True, audio="aac"):
    """testsrc2 + sine as H.264 (or HEVC) + AAC (or `audio`: mp2), one GOP for the whole stream
    unless `gop`."""
    video = (["-c:v", "libx265", "-x265-params", "log-level=error", "-preset", "ultrafast"]
             if hevc else ["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency"])
    return ((["-re"] if realtime else []) +
            ["-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-t", str(seconds)] + video +
            ["-g", str(gop or FPS * seconds * 2), "-pix_fmt", "yuv420p",
             "-c:a", audio, "-b:a", "64k" if audio == "aac" else "128k"])


def ffmpeg_publish(url, **kwargs):
    # linger: ffmpeg's SRT close would otherwise drop what is still unacknowledged (the last
    # few hundred milliseconds), on any receiver.
    return (["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"] + encode_args(**kwargs) +
            ["-f", "mpegts", url + "&linger=3"])


def probe_all(path_or_url, timeout=60):
    """Every stream of a file or URL, read once: {"video": {...}, "audio": {...}}."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_entries",
         "stream=codec_type,codec_name,codec_tag_string,width,height,nb_read_packets,"
         "sample_rate", "-of", "json", path_or_url],
        capture_output=True, text=True, timeout=timeout, check=True)
    streams = {}
    for stream in json.loads(out.stdout)["streams"]:
        streams.setdefault(stream["codec_type"], stream)
    return streams


def probe_headers(url, timeout=30):
    """Stream details from the headers only (no packet counting): quick on a live stream."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries",
         "stream=codec_type,codec_name,codec_tag_string,width,height,sample_rate", "-of", "json",
         url], capture_output=True, text=True, timeout=timeout, check=True)
    streams = {}
    for stream in json.loads(out.stdout)["streams"]:
        streams.setdefault(stream["codec_type"], stream)
    return streams


def probe(path_or_url, timeout=60):
    return probe_all(path_or_url, timeout)["video"]


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


class SrtTest(ProcessTestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="tidecast-srt-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def server(self, overrides=None):
        # A short linger: ffprobe reads an ended stream's playlists until they go away.
        base = {"admin": {"token_sha256": [sha256(ADMIN_TOKEN)]}, "cmaf": {"linger_ms": 3000}}
        return Tidecast({**base, **(overrides or {})})

    def srt(self, server, stream_id, extra=""):
        return srt_url(server.ports["srt.port"], stream_id, extra=extra)

    def wait_live(self, server, name="live/test", timeout=20):
        def live():
            status, _, body = server.get(f"/api/v1/streams/{name}",
                                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            return status == 200 and json.loads(body)["video"] is not None
        wait_until(live, timeout, message=f"{name} live with video")

    def record(self, url, name, fmt="flv"):
        path = os.path.join(self.tmp, name)
        proc = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i", url,
                           "-c", "copy", "-f", fmt, path])
        return proc, path

    def test_ffmpeg_publish_reaches_hls_dash_rtmp_and_flv_with_every_frame(self):
        with self.server() as server:
            publisher = self.spawn(ffmpeg_publish(self.srt(server, "#!::r=live/test,m=publish")))
            self.wait_live(server)
            rtmp, rtmp_path = self.record(
                f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/test", "rtmp.flv")
            flv, flv_path = self.record(f"http://{LOCALHOST}:{server.port}/live/test.flv",
                                        "http.flv")
            self.assertEqual(publisher.wait(timeout=60), 0, publisher.stderr.read())
            for player in (rtmp, flv):
                player.wait(timeout=30)  # the stream's end (SRT peer gone) ends every player
            # LL-HLS keeps the ended stream's window for cmaf.linger_ms; ffprobe follows the
            # playlist until it goes away, having read every segment.
            probes = {"ll-hls": probe_all(f"http://{LOCALHOST}:{server.port}/live/test/index.m3u8"),
                      "rtmp": probe_all(rtmp_path), "http-flv": probe_all(flv_path)}
            for name, streams in probes.items():
                video, audio = streams["video"], streams["audio"]
                self.assertEqual(video["codec_name"], "h264", name)
                self.assertEqual((video["width"], video["height"]), (WIDTH, HEIGHT), name)
                self.assertEqual(int(video["nb_read_packets"]), FRAMES, name)
                self.assertEqual(audio["codec_name"], "aac", name)
                self.assertEqual(int(audio["sample_rate"]), 48000, name)
            log = server.log_text()
            self.assertIn(f"stream.started stream={public_stream_name('live/test')} ", log)
            self.assertIn("protocol=srt", log)

    def test_dash_and_hls_players_read_an_srt_stream_with_short_gops(self):
        with self.server() as server:
            self.spawn(ffmpeg_publish(self.srt(server, "#!::r=live/gops,m=publish"), seconds=12,
                                      gop=FPS))
            self.wait_live(server, "live/gops")

            def two_segments():
                status, _, body = server.get("/live/gops/video.m3u8")
                return status == 200 and body.decode().count("#EXTINF") >= 2
            wait_until(two_segments, 20, message="two complete segments")
            for ext in ("mpd", "m3u8"):
                streams = probe_headers(f"http://{LOCALHOST}:{server.port}/live/gops/index.{ext}")
                self.assertEqual(streams["video"]["codec_name"], "h264", ext)
                self.assertEqual((streams["video"]["width"], streams["video"]["height"]),
                                 (WIDTH, HEIGHT), ext)
                self.assertEqual(streams["audio"]["codec_name"], "aac", ext)
            # Two seconds of DASH decode with every frame in order.
            out = subprocess.run(
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-i",
                 f"http://{LOCALHOST}:{server.port}/live/gops/index.mpd", "-t", "2",
                 "-map", "0:v:0", "-f", "framecrc", "-"],
                capture_output=True, text=True, timeout=60, check=True)
            frames = [line for line in out.stdout.splitlines()
                      if line.strip() and not line.startswith("#")]
            self.assertEqual(len(frames), 2 * FPS)

    def wait_received_bytes_settle(self, server, timeout=20):
        """Waits until the SRT bytes received stop growing (the stats are sampled each second):
        everything the peer sent has arrived."""
        last = [None]

        def settled():
            value = metric_value(server.metrics(), "tidecast_ingest_srt_received_bytes_total")
            done = value is not None and value > 0 and value == last[0]
            last[0] = value
            return done
        wait_until(settled, timeout, interval=1.5, message="SRT input settles")

    def test_srt_live_transmit_publishes_plain_stream_id(self):
        with self.server() as server:
            encoder = subprocess.Popen(
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"] + encode_args() +
                ["-f", "mpegts", "-"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL)
            self.addCleanup(lambda: encoder.poll() is None and encoder.kill())
            relay = subprocess.Popen(["srt-live-transmit", "-q", "-a", "no", "file://con",
                                      self.srt(server, "live/slt")], stdin=encoder.stdout,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.addCleanup(lambda: relay.poll() is None and relay.kill())
            encoder.stdout.close()
            self.wait_live(server, "live/slt")
            flv, flv_path = self.record(f"http://{LOCALHOST}:{server.port}/live/slt.flv", "s.flv")
            self.assertEqual(encoder.wait(timeout=60), 0)
            # srt-live-transmit stays connected after its input ends; once everything arrived,
            # stopping it ends the stream.
            self.wait_received_bytes_settle(server)
            relay.terminate()
            relay.wait(timeout=10)
            flv.wait(timeout=30)
            streams = probe_all(flv_path)
            self.assertEqual(streams["video"]["codec_name"], "h264")
            self.assertEqual(int(streams["video"]["nb_read_packets"]), FRAMES)
            self.assertEqual(streams["audio"]["codec_name"], "aac")

    def test_unknown_key_and_wrong_passphrase_are_refused_at_the_handshake(self):
        overrides = {"apps": {"live": {"publish_keys": ["good"]}},
                     "srt": {"apps": {"live": {"passphrase": "correct horse battery"}}}}
        with self.server(overrides) as server:
            def attempt(stream_id, passphrase):
                extra = f"&passphrase={passphrase}" if passphrase else ""
                return subprocess.run(
                    ffmpeg_publish(self.srt(server, stream_id, extra), seconds=1),
                    capture_output=True, text=True, timeout=60)
            unknown = attempt("#!::r=live/bad,m=publish", "correct horse battery")
            self.assertNotEqual(unknown.returncode, 0)
            server.wait_for_log(r"srt.handshake_rejected .*reason=unauthorized")
            wrong = attempt("#!::r=live/good,m=publish", "wrong horse battery")
            self.assertNotEqual(wrong.returncode, 0)
            missing = attempt("#!::r=live/good,m=publish", None)
            self.assertNotEqual(missing.returncode, 0)
            unknown_app = attempt("#!::r=nope/good,m=publish", "correct horse battery")
            self.assertNotEqual(unknown_app.returncode, 0)
            server.wait_for_log(r"srt.handshake_rejected .*reason=not_found")
            bad_mode = attempt("#!::r=live/good,m=bidirectional", "correct horse battery")
            self.assertNotEqual(bad_mode.returncode, 0)
            server.wait_for_log(r"srt.handshake_rejected .*reason=bad_mode")
            self.assertNotIn("stream.started", server.log_text())
            metrics = server.metrics()
            self.assertEqual(metric_value(
                metrics, 'tidecast_ingest_srt_handshakes_rejected_total{reason="unauthorized"}'), 1)
            # The right key and passphrase get through.
            good = attempt("#!::r=live/good,m=publish", "correct horse battery")
            self.assertEqual(good.returncode, 0, good.stderr)
            self.assertIn(f"stream.started stream={public_stream_name('live/good')} ",
                          server.log_text())

    def test_request_playback_receives_decodable_ts_and_stats_show_in_admin_api(self):
        with self.server() as server:
            self.spawn(ffmpeg_publish(self.srt(server, "#!::r=live/test,m=publish"), seconds=8))
            self.wait_live(server)
            path = os.path.join(self.tmp, "play.ts")
            player = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                 "-i", self.srt(server, "#!::r=live/test,m=request"),
                                 "-t", "3", "-c", "copy", "-f", "mpegts", path])

            def srt_sessions():
                status, _, body = server.get("/api/v1/sessions",
                                             headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
                sessions = [s for s in json.loads(body)["sessions"] if s["protocol"] == "srt"]
                roles = {s["role"] for s in sessions if s["link"] and s["link"]["rate_mbps"] > 0}
                return sessions if roles == {"publisher", "player"} else None
            sessions = wait_until(srt_sessions, 15, message="SRT publisher and player with stats")
            for s in sessions:
                self.assertEqual(s["stream"], "live/test")
                for field in ("rtt_ms", "bandwidth_mbps", "packets_lost", "packets_retransmitted",
                              "packets_dropped", "latency_ms"):
                    self.assertIn(field, s["link"])
                self.assertGreater(s["link"]["latency_ms"], 0)
            metrics = server.metrics()
            self.assertEqual(metric_value(metrics, "tidecast_ingest_srt_connections"), 2)
            status, _, body = server.get("/api/v1/server",
                                         headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
            self.assertEqual(status, 200)
            self.assertEqual(json.loads(body)["connections"]["srt"], 2)
            self.assertGreater(metric_value(metrics, "tidecast_ingest_srt_received_bytes_total"), 0)
            self.assertEqual(player.wait(timeout=30), 0, player.stderr.read())
            streams = probe_all(path)
            self.assertEqual(streams["video"]["codec_name"], "h264")
            self.assertGreater(int(streams["video"]["nb_read_packets"]), FPS * 2)
            self.assertEqual(streams["audio"]["codec_name"], "aac")
            decoded = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-i", path,
                                      "-f", "null", "-"], capture_output=True, text=True,
                                     timeout=60)
            self.assertEqual(decoded.returncode, 0)
            self.assertEqual(decoded.stderr.strip(), "", "decoding errors in the played TS")

    def test_a_publisher_sending_something_else_than_mpeg_ts_is_closed_alone(self):
        with self.server({"streams": {"publisher_timeout_ms": 2000}}) as server:
            good = self.spawn(ffmpeg_publish(self.srt(server, "#!::r=live/good,m=publish"),
                                             seconds=10))
            self.wait_live(server, "live/good")
            junk = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                               "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25", "-t", "10",
                               "-c:v", "libx264", "-preset", "ultrafast", "-f", "flv",
                               self.srt(server, "#!::r=live/junk,m=publish")])
            server.wait_for_log(r"srt.closed conn=\d+ peer=\S+ reason=\"publisher timeout\"",
                                timeout=20)
            self.assertIsNone(good.poll(), "the good publisher must still be running")
            path = os.path.join(self.tmp, "good.flv")
            recorder = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                   "-i", f"http://{LOCALHOST}:{server.port}/live/good.flv",
                                   "-t", "2", "-c", "copy", "-f", "flv", path])
            self.assertEqual(recorder.wait(timeout=30), 0)
            self.assertGreater(int(probe(path)["nb_read_packets"]), FPS)
            junk.kill()

    def test_request_for_a_stream_that_is_not_live_is_refused(self):
        with self.server() as server:
            result = subprocess.run(
                ["ffprobe", "-v", "error", self.srt(server, "#!::r=live/nobody,m=request")],
                capture_output=True, text=True, timeout=30)
            self.assertNotEqual(result.returncode, 0)
            server.wait_for_log(r"srt.handshake_rejected .*reason=not_found")

    def test_mp2_audio_is_left_out_of_hls_rtmp_and_flv_and_kept_over_srt(self):
        """H.264 + MP2 (a broadcast encoder's TS), no ladder: LL-HLS, RTMP and HTTP-FLV cannot
        carry MP2, so they play every video frame alone (one log line each says so); SRT
        playback carries the MP2 as it came."""
        with self.server() as server:
            publisher = self.spawn(ffmpeg_publish(self.srt(server, "#!::r=live/mp2,m=publish"),
                                                  audio="mp2"))
            self.wait_live(server, "live/mp2")
            # The admin API describes the MP2 track from its frames (it has no configuration).
            def audio_info():
                _, _, body = server.get("/api/v1/streams/live/mp2",
                                        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
                return json.loads(body)["audio"]
            audio = wait_until(audio_info, 10, message="live/mp2 audio in the admin API")
            self.assertEqual((audio["codec"], audio["sample_rate"], audio["channels"]),
                             ("mp2", 48000, 1))  # lavfi sine is mono
            rtmp, rtmp_path = self.record(
                f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/mp2", "rtmp.flv")
            flv, flv_path = self.record(f"http://{LOCALHOST}:{server.port}/live/mp2.flv",
                                        "http.flv")
            srt, srt_path = self.record(self.srt(server, "#!::r=live/mp2,m=request"), "srt.ts",
                                        fmt="mpegts")
            self.assertEqual(publisher.wait(timeout=60), 0, publisher.stderr.read())
            for player in (rtmp, flv, srt):
                player.wait(timeout=30)
            probes = {"ll-hls": probe_all(f"http://{LOCALHOST}:{server.port}/live/mp2/index.m3u8"),
                      "rtmp": probe_all(rtmp_path), "http-flv": probe_all(flv_path)}
            for name, streams in probes.items():
                self.assertEqual(streams["video"]["codec_name"], "h264", name)
                self.assertEqual(int(streams["video"]["nb_read_packets"]), FRAMES, name)
                self.assertNotIn("audio", streams, name)
            streams = probe_all(srt_path)
            self.assertEqual(streams["video"]["codec_name"], "h264")
            self.assertGreater(int(streams["video"]["nb_read_packets"]), FPS * 2)
            self.assertEqual(streams["audio"]["codec_name"], "mp2")
            self.assertEqual(int(streams["audio"]["sample_rate"]), 48000)
            # ~4 s of 24 ms frames (the player joined a little after the start).
            self.assertGreater(int(streams["audio"]["nb_read_packets"]), 100)
            decoded = subprocess.run(["ffmpeg", "-hide_banner", "-v", "error", "-i", srt_path,
                                      "-f", "null", "-"], capture_output=True, text=True,
                                     timeout=60)
            self.assertEqual(decoded.returncode, 0)
            self.assertEqual(decoded.stderr.strip(), "", "decoding errors in the played TS")
            log = server.log_text()
            mp2 = public_stream_name("live/mp2")
            self.assertEqual(log.count(f"cmaf.audio_skipped stream={mp2} codec=mp2"), 1, log)
            self.assertEqual(log.count("flv.track_skipped"), 1)
            self.assertEqual(log.count("rtmp.play_track_skipped"), 1)

    def test_hevc_over_srt_comes_out_as_hvc1_in_hls(self):
        with self.server() as server:
            self.spawn(ffmpeg_publish(self.srt(server, "#!::r=live/hevc,m=publish"), hevc=True,
                                      seconds=6, gop=FPS))
            self.wait_live(server, "live/hevc")

            def master():
                status, _, body = server.get("/live/hevc/index.m3u8")
                text = body.decode()
                return text if status == 200 and "CODECS=" in text else None
            playlist = wait_until(master, 15, message="HLS playlist with CODECS")
            self.assertIn('CODECS="hvc1.', playlist)
            video = probe_headers(
                f"http://{LOCALHOST}:{server.port}/live/hevc/index.m3u8")["video"]
            self.assertEqual(video["codec_name"], "hevc")
            self.assertEqual(video["codec_tag_string"], "hvc1")


class LossyUdpRelay:
    """A UDP relay on 127.0.0.1 between one SRT caller and the server that drops `loss` of
    the datagrams in each direction (a seeded random choice): a lossy link without netem."""

    def __init__(self, target_port, loss=0.02, seed=1):
        self.target = (LOCALHOST, target_port)
        self.loss = loss
        self.random = random.Random(seed)
        self.dropped = 0
        self.forwarded = 0
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind((LOCALHOST, 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind((LOCALHOST, 0))
        self.port = self.front.getsockname()[1]
        self.client = None
        self.stopping = False
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=5)
        self.front.close()
        self.back.close()

    def run(self):
        while not self.stopping:
            ready, _, _ = select.select([self.front, self.back], [], [], 0.1)
            for sock in ready:
                data, addr = sock.recvfrom(65536)
                if sock is self.front:
                    self.client = addr
                    out, to = self.back, self.target
                elif self.client is not None:
                    out, to = self.front, self.client
                else:
                    continue
                if self.random.random() < self.loss:
                    self.dropped += 1
                    continue
                self.forwarded += 1
                out.sendto(data, to)


class SrtLossyRelayTest(ProcessTestCase):
    """2% loss each way through a UDP relay on loopback (runs everywhere; SrtLossTest below
    does the same through a network namespace with tc netem where that is permitted)."""

    def test_two_percent_loss_through_a_relay_still_delivers_every_frame(self):
        with Tidecast({"srt": {"latency_ms": 400}}) as server:
            relay = LossyUdpRelay(server.ports["srt.port"]).start()
            self.addCleanup(relay.stop)
            url = srt_url(relay.port, "#!::r=live/lossy,m=publish")
            publisher = self.spawn(ffmpeg_publish(url, seconds=6))
            wait_until(lambda: metric_value(server.metrics(), "tidecast_core_live_streams") == 1,
                       20, message="the lossy stream goes live")
            tmp = tempfile.mkdtemp(prefix="tidecast-srtrelay-")
            self.addCleanup(shutil.rmtree, tmp, True)
            path = os.path.join(tmp, "lossy.flv")
            recorder = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                   "-i", f"http://{LOCALHOST}:{server.port}/live/lossy.flv",
                                   "-c", "copy", "-f", "flv", path])
            self.assertEqual(publisher.wait(timeout=60), 0, publisher.stderr.read())
            recorder.wait(timeout=30)
            self.assertGreater(relay.dropped, 10, "the relay must really have lost packets")
            self.assertEqual(int(probe(path)["nb_read_packets"]), FPS * 6)
            metrics = server.metrics()
            self.assertGreater(metric_value(metrics, "tidecast_ingest_srt_packets_lost_total"), 0)
            self.assertGreater(
                metric_value(metrics, "tidecast_ingest_srt_packets_retransmitted_total"), 0)


IPROUTE2 = shutil.which("ip") is not None and shutil.which("tc") is not None


def netns_unavailable():
    """Why this machine cannot make network namespaces, or None. A missing iproute2 is not
    such a reason (scripts/setup installs it): the test then fails in setUp."""
    if not IPROUTE2:
        return None
    if os.geteuid() != 0:
        return "network namespaces need root (CAP_NET_ADMIN)"
    name = f"tcprobe{os.getpid()}"
    probe_ns = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if probe_ns.returncode != 0:
        return f"'ip netns add' not permitted here: {probe_ns.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


NETNS_SKIP = netns_unavailable()


@optional("needs root (CAP_NET_ADMIN) and a kernel with veth and netem (sch_netem), which "
          "containers and CI runners often lack")
@unittest.skipIf(NETNS_SKIP, f"SRT loss test skipped: {NETNS_SKIP}")
class SrtLossTest(ProcessTestCase):
    """The publisher runs in a network namespace of its own, joined to this one by a veth pair
    with tc netem dropping 2% of the packets each way; SRT retransmission must still deliver
    every frame."""

    def setUp(self):
        self.assertTrue(IPROUTE2, "ip/tc (iproute2) not installed: run scripts/setup")
        self.tmp = tempfile.mkdtemp(prefix="tidecast-srtloss-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        tag = os.getpid() % 10000
        self.ns = f"tcsrt{tag}"
        self.host_if, self.ns_if = f"tch{tag}", f"tcn{tag}"
        subnet = 200 + tag % 50
        self.host_ip, self.ns_ip = f"10.{subnet}.7.1", f"10.{subnet}.7.2"
        self.addCleanup(self.teardown_netns)
        for cmd in (["ip", "netns", "add", self.ns],
                    ["ip", "link", "add", self.host_if, "type", "veth", "peer", "name",
                     self.ns_if],
                    ["ip", "link", "set", self.ns_if, "netns", self.ns],
                    ["ip", "addr", "add", f"{self.host_ip}/30", "dev", self.host_if],
                    ["ip", "link", "set", self.host_if, "up"],
                    ["tc", "qdisc", "add", "dev", self.host_if, "root", "netem", "loss", "2%"],
                    ["ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.ns_ip}/30",
                     "dev", self.ns_if],
                    ["ip", "netns", "exec", self.ns, "ip", "link", "set", self.ns_if, "up"],
                    ["ip", "netns", "exec", self.ns, "ip", "link", "set", "lo", "up"],
                    ["ip", "netns", "exec", self.ns, "tc", "qdisc", "add", "dev", self.ns_if,
                     "root", "netem", "loss", "2%"]):
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                self.skipTest(f"SRT loss test skipped: {' '.join(cmd)}: {result.stderr.strip()}")

    def teardown_netns(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)

    def test_two_percent_loss_still_delivers_every_frame(self):
        overrides = {"srt": {"listen": self.host_ip, "latency_ms": 400}}
        with Tidecast(overrides) as server:
            url = srt_url(server.ports["srt.port"], "#!::r=live/lossy,m=publish",
                          host=self.host_ip)
            publisher = self.spawn(["ip", "netns", "exec", self.ns] +
                                   ffmpeg_publish(url, seconds=6))
            wait_until(lambda: metric_value(server.metrics(), "tidecast_core_live_streams") == 1,
                       20, message="the lossy stream goes live")
            path = os.path.join(self.tmp, "lossy.flv")
            recorder = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                   "-i", f"http://{LOCALHOST}:{server.port}/live/lossy.flv",
                                   "-c", "copy", "-f", "flv", path])
            self.assertEqual(publisher.wait(timeout=60), 0, publisher.stderr.read())
            recorder.wait(timeout=30)
            self.assertEqual(int(probe(path)["nb_read_packets"]), FPS * 6)
            metrics = server.metrics()
            # The link really lost packets and SRT really retransmitted them.
            self.assertGreater(metric_value(metrics, "tidecast_ingest_srt_packets_lost_total"), 0)
            self.assertGreater(
                metric_value(metrics, "tidecast_ingest_srt_packets_retransmitted_total"), 0)


if __name__ == "__main__":
    unittest.main()
