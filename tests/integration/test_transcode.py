"""In-process ABR ladder (core/transcode), driven by real clients: ffmpeg publishes 1280x720
testsrc2 + sine by RTMP with a keyframe every segment target; tidecast transcodes a
720p/480p/360p ladder. ffprobe reads every rendition at its resolution, each rendition's
bitrate lies in its band, every rendition has the same segments as the source, starting at
the same presentation times (read from the fMP4 boxes), the multivariant playlist and the
MPD list every rung, and the admin API turns transcoding on and off per stream."""

import hashlib
import json
import re
import struct
import subprocess
import sys

from harness import (LOCALHOST, ProcessTestCase, Tidecast, metric_value, public_stream_name,
                     wait_until)

FPS = 30
WIDTH, HEIGHT = 1280, 720
SEGMENT_MS = 1000
TOKEN = "transcode-admin-token-0123456789"

RUNGS = [
    # name, height, expected width, video_bitrate
    ("720p", 720, 1280, 1_500_000),
    ("480p", 480, 854, 800_000),
    ("360p", 360, 640, 400_000),
]


def ladder():
    return {"source": True, "renditions": [
        {"name": name, "height": height, "video_bitrate": rate, "maxrate": rate * 5 // 4,
         "bufsize": rate * 5 // 4, "preset": "ultrafast", "profile": "main"}
        for name, height, _, rate in RUNGS]}


def publish_command(url, seconds):
    """ffmpeg publishing 1280x720 testsrc2 + sine in real time, a keyframe every segment."""
    gop = FPS * SEGMENT_MS // 1000
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast",
            "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url]


def segments(playlist):
    """[(msn, uri, seconds)] of the complete segments."""
    msn = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist).group(1))
    out, duration = [], None
    for line in playlist.splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[8:].split(",")[0])
        elif line and not line.startswith("#"):
            out.append((msn, line, duration))
            msn += 1
    return out


def boxes(data, start=0, end=None):
    """(type, payload start, box end) of the ISO BMFF boxes in data[start:end]."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        header = 8
        if size == 1:
            size = struct.unpack(">Q", data[start + 8:start + 16])[0]
            header = 16
        if size < header:
            return
        yield kind.decode("latin-1"), start + header, start + size
        start += size


def presentation_start(segment):
    """tfdt + the first sample's composition offset of a CMAF segment's first fragment."""
    for kind, body, end in boxes(segment):
        if kind != "moof":
            continue
        for kind2, body2, end2 in boxes(segment, body, end):
            if kind2 != "traf":
                continue
            decode, offset = None, 0
            for kind3, b, _ in boxes(segment, body2, end2):
                if kind3 == "tfdt":
                    version = segment[b]
                    decode = struct.unpack(">Q" if version else ">I",
                                           segment[b + 4:b + (12 if version else 8)])[0]
                elif kind3 == "trun":
                    flags = int.from_bytes(segment[b + 1:b + 4], "big")
                    pos = b + 8 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
                    pos += (4 if flags & 0x100 else 0) + (4 if flags & 0x200 else 0)
                    pos += 4 if flags & 0x400 else 0
                    if flags & 0x800:
                        offset = struct.unpack(">i", segment[pos:pos + 4])[0]
            return decode + offset
    raise AssertionError("no moof/traf in the segment")


class TranscodeTest(ProcessTestCase):

    def server(self, app_transcode="abr"):
        app = {"transcode": app_transcode} if app_transcode else {}
        overrides = {
            "apps": {"live": app},
            "transcode": {"workers": 2, "max_queue_frames": 120, "ladders": {"abr": ladder()}},
            "cmaf": {"segment_target_ms": SEGMENT_MS},
            "admin": {"token_sha256": [hashlib.sha256(TOKEN.encode()).hexdigest()]},
        }
        return Tidecast(overrides, port_keys=["rtmp.port"])

    def publish(self, server, seconds, key="test"):
        url = f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/{key}"
        return self.spawn(publish_command(url, seconds))

    def text(self, server, path):
        status, _, body = server.get(path)
        self.assertEqual(status, 200, f"{path}: {body[:200]!r}")
        return body.decode()

    def wait_playlist(self, server, path, count, timeout=40):
        def ready():
            status, _, body = server.get(path)
            return status == 200 and body.decode().count("#EXTINF") >= count
        wait_until(ready, timeout, interval=0.1, message=f"{path}: {count} segments")

    def ffprobe(self, server, path):
        probe = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
             "-of", "json", f"http://{LOCALHOST}:{server.port}{path}"],
            capture_output=True, text=True, timeout=60, check=True)
        return json.loads(probe.stdout)["streams"]

    def test_ladder_renditions_have_their_size_bitrate_and_the_source_segments(self):
        with self.server() as server:
            publisher = self.publish(server, 9)
            for name, *_ in RUNGS:
                self.wait_playlist(server, f"/live/test/{name}/video.m3u8", 2)

            # While live: the multivariant playlist and the MPD list every rung.
            master = self.text(server, "/live/test/index.m3u8")
            variants = re.findall(r"#EXT-X-STREAM-INF:(.*)\n(.*)", master)
            uris = [uri for _, uri in variants]
            self.assertEqual(uris, ["video.m3u8"] + [f"{n}/video.m3u8" for n, *_ in RUNGS])
            for (attributes, uri), expected in zip(variants[1:], RUNGS):
                name, height, width, rate = expected
                self.assertIn(f"RESOLUTION={width}x{height}", attributes, uri)
                self.assertIn('CODECS="avc1.', attributes, uri)
                self.assertIn(",mp4a.40.2", attributes, uri)
                self.assertIn('AUDIO="audio"', attributes, uri)
                self.assertRegex(attributes, r"FRAME-RATE=(29\.9|30\.0)", uri)
                bandwidth = int(re.search(r"(?:^|,)BANDWIDTH=(\d+)", attributes).group(1))
                average = int(re.search(r"AVERAGE-BANDWIDTH=(\d+)", attributes).group(1))
                self.assertGreater(bandwidth, rate // 4, uri)
                self.assertGreaterEqual(bandwidth, average, uri)
            rung_playlist = self.text(server, "/live/test/480p/video.m3u8")
            for other in ("../video.m3u8", "../audio.m3u8", "../720p/video.m3u8",
                          "../360p/video.m3u8"):
                self.assertIn(f'#EXT-X-RENDITION-REPORT:URI="{other}"', rung_playlist)
            self.assertIn('#EXT-X-RENDITION-REPORT:URI="480p/video.m3u8"',
                          self.text(server, "/live/test/video.m3u8"))
            mpd = self.text(server, "/live/test/index.mpd")
            video_set = re.search(r'<AdaptationSet id="0".*?</AdaptationSet>', mpd, re.S).group(0)
            ids = re.findall(r'<Representation id="([^"]+)"', video_set)
            self.assertEqual(ids, ["video"] + [n for n, *_ in RUNGS])
            for name, height, width, _ in RUNGS:
                self.assertRegex(video_set, rf'id="{name}"[^>]*width="{width}" height="{height}"')
                self.assertIn(f'media="{name}/video/t$Time$.m4s"', video_set)
            metrics = server.get("/metrics")[2].decode()
            self.assertEqual(metric_value(metrics, "tidecast_core_transcode_jobs"), 1)

            # ffprobe reads each rendition at its resolution.
            for name, height, width, _ in RUNGS:
                streams = self.ffprobe(server, f"/live/test/{name}/video.m3u8")
                self.assertEqual([(s["codec_name"], s["width"], s["height"]) for s in streams],
                                 [("h264", width, height)], name)

            # The publisher ends; the renditions end with the source.
            publisher.wait(timeout=60)

            def ended():
                paths = ["/live/test/video.m3u8"] + [f"/live/test/{n}/video.m3u8"
                                                     for n, *_ in RUNGS]
                bodies = [server.get(p)[2].decode() for p in paths]
                return bodies if all("PRELOAD-HINT" not in b for b in bodies) else None
            bodies = wait_until(ended, 20, interval=0.2, message="every playlist ended")
            source = segments(bodies[0])
            self.assertGreaterEqual(len(source), 6)
            source_starts = {msn: presentation_start(server.get(f"/live/test/{uri}")[2])
                             for msn, uri, _ in source}
            frame = 90000 // FPS
            for (name, _, _, rate), body in zip(RUNGS, bodies[1:]):
                rung = segments(body)
                self.assertEqual([m for m, *_ in rung], [m for m, *_ in source],
                                 f"{name}: the source's segments, numbered alike")
                total_bytes, total_seconds = 0, 0.0
                for (msn, uri, seconds), (_, _, source_seconds) in zip(rung, source):
                    data = server.get(f"/live/test/{name}/{uri}")[2]
                    start = presentation_start(data)
                    self.assertLessEqual(abs(start - source_starts[msn]), frame,
                                         f"{name} segment {msn} starts at {start}, "
                                         f"the source's at {source_starts[msn]}")
                    self.assertAlmostEqual(seconds, source_seconds, delta=1.5 / FPS)
                    if msn != rung[0][0] and msn != rung[-1][0]:  # rate control settled
                        total_bytes += len(data)
                        total_seconds += seconds
                bitrate = total_bytes * 8 / total_seconds
                sys.stderr.write(f"[transcode] {name}: {bitrate / 1000:.0f} kbit/s over "
                                 f"{total_seconds:.1f} s (target {rate // 1000})\n")
                self.assertGreater(bitrate, rate * 0.5, f"{name}: {bitrate:.0f} bit/s")
                self.assertLess(bitrate, rate * 1.3, f"{name}: {bitrate:.0f} bit/s")
            wait_until(lambda: metric_value(server.get("/metrics")[2].decode(),
                                            "tidecast_core_transcode_jobs") == 0, 10)

    def api(self, server, method, path, body=None):
        headers = {"Authorization": f"Bearer {TOKEN}"}
        if body is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        status, _, data = server.request(method, path, body=body, headers=headers)
        return status, json.loads(data) if data else None

    def test_admin_api_turns_transcoding_on_and_off_for_one_stream(self):
        with self.server(app_transcode=None) as server:
            self.publish(server, 40)
            self.wait_playlist(server, "/live/test/video.m3u8", 1)
            status, state = self.api(server, "GET", "/api/v1/streams/live/test/transcode")
            self.assertEqual(status, 200)
            self.assertEqual((state["enabled"], state["running"]), (False, False))
            self.assertEqual(server.get("/live/test/480p/video.m3u8")[0], 404)

            status, state = self.api(server, "PUT", "/api/v1/streams/live/test/transcode",
                                     {"enabled": True, "ladder": "abr"})
            self.assertEqual(status, 200, state)
            self.assertEqual((state["enabled"], state["running"], state["ladder"]),
                             (True, True, "abr"))
            self.assertEqual(state["renditions"],
                             [f"live/test/{n}" for n, *_ in RUNGS])
            self.wait_playlist(server, "/live/test/360p/video.m3u8", 1)
            wait_until(lambda: self.text(server, "/live/test/index.m3u8").count(
                "#EXT-X-STREAM-INF") == 4, 20, interval=0.2, message="four variants")

            status, state = self.api(server, "PUT", "/api/v1/streams/live/test/transcode",
                                     {"enabled": False})
            self.assertEqual(status, 200, state)
            self.assertEqual((state["enabled"], state["running"]), (False, False))
            wait_until(lambda: self.text(server, "/live/test/index.m3u8").count(
                "#EXT-X-STREAM-INF") == 1, 20, interval=0.2, message="the source alone")

            status, error = self.api(server, "PUT", "/api/v1/streams/live/test/transcode",
                                     {"enabled": "yes"})
            self.assertEqual(status, 400)
            self.assertEqual(error["error"]["code"], "admin.bad_request")
            status, error = self.api(server, "PUT", "/api/v1/streams/live/test/transcode",
                                     {"enabled": True, "ladder": "missing"})
            self.assertEqual(status, 409)
            self.assertEqual(error["error"]["code"], "transcode.no_ladder")


class SrtAudioTranscodeTest(ProcessTestCase):
    """An SRT publisher sending H.264 + Opus, or + MP2 (what broadcast encoders send): the
    renditions carry one AAC-LC track encoded in-process, and every variant of the
    multivariant playlist and the MPD advertise it."""

    def check_audio_becomes_aac(self, key, audio_args, source_audio):
        """Publishes 8 s of H.264 + `audio_args` over SRT into a source + 180p ladder.
        source_audio: whether the source keeps its own (non-AAC) audio track in CMAF."""
        rung = {"name": "180p", "height": 180, "video_bitrate": 300_000, "preset": "ultrafast"}
        overrides = {
            "apps": {"live": {"transcode": "small"}},
            "transcode": {"workers": 2, "max_queue_frames": 120, "audio_bitrate": 96000,
                          "ladders": {"small": {"source": True, "renditions": [rung]}}},
            "cmaf": {"segment_target_ms": SEGMENT_MS, "linger_ms": 10000},
        }
        with Tidecast(overrides, port_keys=["srt.port"]) as server:
            url = (f"srt://{LOCALHOST}:{server.ports['srt.port']}"
                   f"?streamid=#!::r=live/{key},m=publish&linger=3")
            gop = FPS * SEGMENT_MS // 1000
            self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
                        "-f", "lavfi", "-i", f"testsrc2=size=640x360:rate={FPS}",
                        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                        "-t", "8", "-c:v", "libx264", "-preset", "ultrafast",
                        "-tune", "zerolatency", "-g", str(gop), "-keyint_min", str(gop),
                        "-sc_threshold", "0", "-pix_fmt", "yuv420p"] + audio_args +
                       ["-f", "mpegts", url])
            for path in (f"/live/{key}/video.m3u8", f"/live/{key}/180p/video.m3u8",
                         f"/live/{key}/180p/audio.m3u8"):
                wait_until(lambda p=path: server.get(p)[0] == 200 and
                           server.get(p)[2].decode().count("#EXTINF") >= 3, 40, interval=0.2,
                           message=f"{path}: 3 segments")
            # The source's own audio: Opus is packaged (not advertised), MP2 cannot be.
            status, _, body = server.get(f"/live/{key}/audio.m3u8")
            self.assertEqual(status == 200, source_audio, body[:200])
            master = server.get(f"/live/{key}/index.m3u8")[2].decode()
            self.assertIn('URI="180p/audio.m3u8"', master)
            variants = re.findall(r"#EXT-X-STREAM-INF:(.*)\n(.*)", master)
            self.assertEqual([uri for _, uri in variants], ["video.m3u8", "180p/video.m3u8"])
            for attributes, uri in variants:
                self.assertRegex(attributes, r'CODECS="avc1\.[0-9a-fA-F]+,mp4a\.40\.2"', uri)
                self.assertIn('AUDIO="audio"', attributes, uri)
            for codec in ("opus", "mp2", "mp4a.40.34", "mp4a.6b"):
                self.assertNotIn(codec, master.lower())

            # ffprobe reads every variant of the multivariant playlist with AAC audio.
            probe = subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries",
                 "stream=codec_type,codec_name,profile,sample_rate,channels:program=program_id",
                 "-of", "json", f"http://{LOCALHOST}:{server.port}/live/{key}/index.m3u8"],
                capture_output=True, text=True, timeout=60, check=True)
            info = json.loads(probe.stdout)
            self.assertEqual(len(info["programs"]), 2)
            audio = [s for s in info["streams"] if s["codec_type"] == "audio"]
            self.assertTrue(audio)
            for stream in audio:
                self.assertEqual((stream["codec_name"], stream["profile"], stream["sample_rate"],
                                  stream["channels"]), ("aac", "LC", "48000", 2))

            # The AAC audio is continuous with the video: the rendition's audio segments last
            # as long as its video segments (cut at the same instants).
            def durations(path):
                return {msn: s for msn, _, s in segments(server.get(path)[2].decode())}
            video_seconds = durations(f"/live/{key}/180p/video.m3u8")
            audio_seconds = durations(f"/live/{key}/180p/audio.m3u8")
            # The first audio segment starts with the first AAC frame, inside a video segment.
            common = sorted(set(video_seconds) & set(audio_seconds))[1:]
            self.assertGreaterEqual(len(common), 2, audio_seconds)
            for msn in common:
                self.assertAlmostEqual(audio_seconds[msn], video_seconds[msn], delta=0.05,
                                       msg=f"segment {msn}")
            self.assertAlmostEqual(sum(audio_seconds[m] for m in common),
                                   sum(video_seconds[m] for m in common), delta=0.1)
            # And it decodes without an error.
            decoded = subprocess.run(
                ["ffmpeg", "-v", "error", "-xerror", "-i",
                 f"http://{LOCALHOST}:{server.port}/live/{key}/180p/audio.m3u8",
                 "-t", "2", "-f", "null", "-"], capture_output=True, text=True, timeout=60)
            self.assertEqual(decoded.returncode, 0, decoded.stderr)
            self.assertEqual(decoded.stderr, "")

            # The MPD's audio AdaptationSet is the transcoded AAC track too.
            mpd = server.get(f"/live/{key}/index.mpd")[2].decode()
            audio_set = re.search(r'<AdaptationSet id="1".*?</AdaptationSet>', mpd, re.S)
            self.assertIsNotNone(audio_set, mpd)
            self.assertIn('codecs="mp4a.40.2"', audio_set.group(0))
            self.assertIn('media="180p/audio/t$Time$.m4s"', audio_set.group(0))
            return server.log_text()

    def test_opus_over_srt_becomes_aac_in_every_variant(self):
        self.check_audio_becomes_aac("opus", ["-c:a", "libopus", "-ac", "2", "-b:a", "64k"],
                                     source_audio=True)

    def test_mp2_over_srt_becomes_aac_in_every_variant(self):
        log = self.check_audio_becomes_aac("mp2", ["-c:a", "mp2", "-ac", "2", "-b:a", "192k"],
                                           source_audio=False)
        # The source's MP2 is left out of its CMAF (said once), not the renditions' AAC.
        mp2 = public_stream_name("live/mp2")
        self.assertEqual(log.count(f"cmaf.audio_skipped stream={mp2} codec=mp2"), 1, log)
        self.assertNotIn(f"cmaf.audio_skipped stream={mp2}/", log)
