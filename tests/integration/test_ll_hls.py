"""LL-HLS and LL-DASH from the CMAF packager, driven by real clients: ffmpeg publishes
testsrc2 + sine by RTMP; ffprobe and ffmpeg read the multivariant playlist and the MPD;
blocking playlist reloads, held parts, delta updates and a publisher reconnect are checked
over plain HTTP."""

import http.client
import json
import re
import subprocess
import threading
import time
import unittest

from harness import LOCALHOST, ProcessTestCase, Tidecast, metric_value, wait_until

FPS = 30
WIDTH, HEIGHT = 640, 360


def publish_command(url, seconds, gop_frames=FPS):
    """ffmpeg publishing testsrc2 + sine in real time, a keyframe every second."""
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-g", str(gop_frames), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
            "-f", "flv", url]


def frame_times(url, seconds, extra_input_args=(), timeout=90):
    """Decodes `seconds` of the first video stream; returns its frame timestamps (s)."""
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"] + list(extra_input_args) +
        ["-i", url, "-t", str(seconds), "-map", "0:v:0", "-f", "framecrc", "-"],
        capture_output=True, text=True, timeout=timeout, check=True)
    times = []
    for line in out.stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = [f.strip() for f in line.split(",")]
        # stream_index, dts, pts, duration, size, crc (time base 1/FPS after decoding)
        times.append(int(fields[2]))
    return times


def parse_parts(playlist):
    """[(msn, part index, uri)] of the EXT-X-PART lines, and the segment list [(msn, uri)]."""
    msn = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist).group(1))
    skipped = re.search(r"#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)", playlist)
    if skipped:
        msn += int(skipped.group(1))
    parts, segments, index = [], [], 0
    for line in playlist.splitlines():
        if line.startswith("#EXT-X-PART:"):
            parts.append((msn, index, re.search(r'URI="([^"]+)"', line).group(1)))
            index += 1
        elif line and not line.startswith("#"):
            segments.append((msn, line))
            msn += 1
            index = 0
    return parts, segments


class LlHlsTest(ProcessTestCase):



    def server(self, cmaf=None):
        overrides = {"cmaf": cmaf} if cmaf else {}
        return Tidecast(overrides, port_keys=["rtmp.port"])

    def publish(self, server, seconds, key="test"):
        url = f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/{key}"
        return self.spawn(publish_command(url, seconds))

    def url(self, server, path):
        return f"http://{LOCALHOST}:{server.port}{path}"

    def text(self, server, path):
        status, _, body = server.get(path)
        self.assertEqual(status, 200, f"{path}: {body[:200]!r}")
        return body.decode()

    def wait_segments(self, server, count, key="test", timeout=30):
        def ready():
            status, _, body = server.get(f"/live/{key}/video.m3u8")
            return status == 200 and body.decode().count("#EXTINF") >= count
        wait_until(ready, timeout, interval=0.1, message=f"{count} segments")

    # ---- reading with ffprobe / ffmpeg ----------------------------------------------------

    def test_multivariant_playlist_and_mpd_describe_the_stream(self):
        with self.server() as server:
            self.publish(server, 30)
            self.wait_segments(server, 1)
            status, headers, body = server.get("/live/test/index.m3u8")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "application/vnd.apple.mpegurl")
            master = body.decode()
            self.assertIn('CODECS="avc1.', master)
            self.assertIn(",mp4a.40.2\"", master)
            self.assertIn(f"RESOLUTION={WIDTH}x{HEIGHT}", master)
            self.assertIn("FRAME-RATE=30.000", master)
            self.assertRegex(master, r"#EXT-X-MEDIA:TYPE=AUDIO,.*URI=\"audio.m3u8\"")
            bandwidth = int(re.search(r"[:,]BANDWIDTH=(\d+)", master).group(1))
            self.assertGreater(bandwidth, 10_000)
            status, headers, body = server.get("/live/test/index.mpd")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "application/dash+xml")
            mpd = body.decode()
            self.assertIn('type="dynamic"', mpd)
            self.assertIn('availabilityTimeComplete="false"', mpd)
            self.assertIn(f'width="{WIDTH}" height="{HEIGHT}"', mpd)
            self.assertIn(f'value="http://{LOCALHOST}:{server.port}/time"', mpd)
            metrics = server.get("/metrics")[2].decode()
            self.assertEqual(metric_value(metrics, "tidecast_delivery_cmaf_streams"), 1)
            self.assertGreater(metric_value(metrics, "tidecast_delivery_cmaf_segment_bytes"), 10_000)
            self.assertGreater(metric_value(metrics, "tidecast_delivery_cmaf_mirrored_bytes"), 0)
            for path in ("/live/test/index.m3u8", "/live/test/index.mpd"):
                probe = subprocess.run(
                    ["ffprobe", "-v", "error", "-show_entries",
                     "stream=codec_name,width,height,sample_rate", "-of", "json",
                     self.url(server, path)], capture_output=True, text=True, timeout=60,
                    check=True)
                streams = {s["codec_name"]: s for s in json.loads(probe.stdout)["streams"]}
                self.assertEqual(streams["h264"]["width"], WIDTH, path)
                self.assertEqual(streams["h264"]["height"], HEIGHT, path)
                self.assertEqual(streams["aac"]["sample_rate"], "48000", path)

    def assert_continuous(self, times, frames):
        self.assertEqual(len(times), frames, f"frame count (first {times[:5]}, last {times[-5:]})")
        gaps = [b - a for a, b in zip(times, times[1:]) if b - a != 1]
        self.assertEqual(gaps, [], "video timestamps must advance one frame at a time")

    def test_ffmpeg_decodes_ten_seconds_of_hls_from_the_first_segment_with_every_frame(self):
        with self.server() as server:
            self.publish(server, 40)
            self.wait_segments(server, 1)
            times = frame_times(self.url(server, "/live/test/index.m3u8"), 10,
                                ["-live_start_index", "0"])
            self.assert_continuous(times, 10 * FPS)

    def test_ffmpeg_decodes_ten_seconds_of_dash_with_continuous_timestamps(self):
        with self.server() as server:
            self.publish(server, 40)
            self.wait_segments(server, 1)
            times = frame_times(self.url(server, "/live/test/index.mpd"), 10)
            self.assert_continuous(times, 10 * FPS)

    def test_ffmpeg_reads_live_dash_in_real_time_fetching_each_segment_once(self):
        """Regression: FFmpeg's DASH reader (5.1) looped on one segment for as long as the
        stream was younger than timeShiftBufferDepth (its uint64 now - availabilityStartTime -
        timeShiftBufferDepth wrapped), tens of thousands of packets in a few seconds. A small
        window also makes the MPD's timeline slide while ffmpeg reads (the reader must find its
        place in each refreshed MPD)."""
        seconds = 8
        with self.server(cmaf={"window_segments": 3}) as server:
            self.publish(server, 40)
            self.wait_segments(server, 1)
            started = time.monotonic()
            out = subprocess.run(
                ["ffmpeg", "-hide_banner", "-loglevel", "verbose", "-nostdin",
                 "-i", self.url(server, "/live/test/index.mpd"), "-t", str(seconds),
                 "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"],
                capture_output=True, text=True, timeout=90)
            wall = time.monotonic() - started
            self.assertEqual(out.returncode, 0, out.stderr[-2000:])
            packets = [int(line.split(",")[2]) for line in out.stdout.splitlines()
                       if line.strip() and not line.startswith("#")]
            fetched = re.findall(r"DASH request for url '[^']*/video/([^/']+\.m4s)'", out.stderr)
            repeated = sorted({name for name in fetched if fetched.count(name) > 1})
            self.assertEqual(repeated, [], f"segments fetched more than once ({len(fetched)} "
                                           f"fetches: {fetched[:12]}...)")
            self.assertEqual(len(packets), seconds * FPS,
                             f"video packets read in {seconds} s of media")
            self.assertEqual(len(set(packets)), len(packets), "each packet once")
            self.assertEqual(packets, sorted(packets), "timestamps never go back")
            # Reading at the live edge: about the media's duration, not a loop's.
            self.assertLess(wall, seconds + 6, "wall time of the read")

    def test_segments_are_the_concatenation_of_their_parts(self):
        with self.server() as server:
            self.publish(server, 30)
            self.wait_segments(server, 2)
            parts, segments = parse_parts(self.text(server, "/live/test/video.m3u8"))
            msn, uri = segments[-1]
            mine = [p for p in parts if p[0] == msn]
            self.assertGreaterEqual(len(mine), 5, "2 s segments of 200 ms parts")
            joined = b"".join(server.get(f"/live/test/{p[2]}")[2] for p in mine)
            status, headers, segment = server.get(f"/live/test/{uri}")
            self.assertEqual(status, 200)
            self.assertEqual(segment, joined)
            self.assertIn("immutable", headers.get("cache-control"))
            self.assertEqual(segment[4:8], b"styp")

    # ---- blocking reload, held parts, delta updates ----------------------------------------

    def timed_get(self, server, path, results, key):
        start = time.monotonic()
        status, _, body = server.request("GET", path, timeout=15)
        results[key] = (time.monotonic(), time.monotonic() - start, status, body)

    def test_blocking_reload_returns_when_the_part_exists_and_not_before(self):
        with self.server() as server:
            self.publish(server, 40)
            self.wait_segments(server, 1)
            # Early in a segment, so that the next two parts belong to the same one.
            def early_in_segment():
                text = self.text(server, "/live/test/video.m3u8")
                last = parse_parts(text)[0][-1]
                return (text, last) if last[1] <= 5 else None
            playlist, (msn, index, _) = wait_until(early_in_segment, 10, interval=0.05)
            parts, _ = parse_parts(playlist)
            hint = re.search(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="([^"]+)"', playlist).group(1)
            # Two parts ahead: the playlist may only come back once both were produced.
            results = {}
            threads = [
                threading.Thread(target=self.timed_get, args=(
                    server, f"/live/test/video.m3u8?_HLS_msn={msn}&_HLS_part={index + 1}",
                    results, "next")),
                threading.Thread(target=self.timed_get, args=(
                    server, f"/live/test/{hint}", results, "hinted")),
                threading.Thread(target=self.timed_get, args=(
                    server, f"/live/test/video.m3u8?_HLS_msn={msn}&_HLS_part={index + 2}",
                    results, "after")),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(20)
            for key in ("next", "hinted", "after"):
                self.assertEqual(results[key][2], 200, key)
            # The held part and the playlist announcing it are answered together.
            self.assertLess(abs(results["next"][0] - results["hinted"][0]), 0.1)
            next_parts, _ = parse_parts(results["next"][3].decode())
            after_parts, _ = parse_parts(results["after"][3].decode())
            uris = [p[2] for p in next_parts]
            self.assertIn(hint, uris, "the playlist lists the part it was waiting for")
            self.assertGreater(len(after_parts[-1][2]), 0)
            self.assertGreater(len([p for p in after_parts if p[2] not in [q[2] for q in parts]]), 1)
            # Waiting for two parts takes at least about one part longer than for one.
            self.assertGreater(results["after"][1], results["next"][1] + 0.1)
            self.assertEqual(results["hinted"][3][4:8], b"moof",
                             "a part that does not open a segment is moof + mdat")

    def test_blocking_reload_rejects_bad_and_far_future_requests(self):
        with self.server() as server:
            self.publish(server, 30)
            self.wait_segments(server, 1)
            status, _, body = server.get("/live/test/video.m3u8?_HLS_part=2")
            self.assertEqual(status, 400)
            self.assertEqual(json.loads(body)["error"]["code"], "hls.bad_request")
            status, _, _ = server.get("/live/test/video.m3u8?_HLS_msn=abc")
            self.assertEqual(status, 400)
            status, _, body = server.get("/live/test/video.m3u8?_HLS_msn=1000")
            self.assertEqual(status, 400)
            self.assertEqual(json.loads(body)["error"]["code"], "hls.too_far_ahead")
            status, _, _ = server.get("/live/nope/video.m3u8")
            self.assertEqual(status, 404)
            status, _, _ = server.get("/live/test/video/p999999.m4s")
            self.assertEqual(status, 404)

    def test_blocking_reload_answers_503_when_the_stream_stalls(self):
        with self.server({"segment_target_ms": 1000, "part_target_ms": 200}) as server:
            publisher = self.publish(server, 6)
            self.wait_segments(server, 1)
            publisher.wait(30)
            playlist = self.text(server, "/live/test/video.m3u8")
            _, segments = parse_parts(playlist)
            start = time.monotonic()
            status, _, _ = server.request(
                "GET", f"/live/test/video.m3u8?_HLS_msn={segments[-1][0] + 1}&_HLS_part=0",
                timeout=15)
            elapsed = time.monotonic() - start
            self.assertEqual(status, 503)
            self.assertGreater(elapsed, 2.5, "held three target durations first")

    def test_delta_update_skips_old_segments(self):
        with self.server({"segment_target_ms": 1000, "part_target_ms": 200,
                          "window_segments": 20}) as server:
            self.publish(server, 40)
            self.wait_segments(server, 10)
            full = self.text(server, "/live/test/video.m3u8")
            msn = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", full).group(1))
            status, _, body = server.get(f"/live/test/video.m3u8?_HLS_msn={msn + 10}&_HLS_skip=YES")
            self.assertEqual(status, 200)
            delta = body.decode()
            skipped = int(re.search(r"#EXT-X-SKIP:SKIPPED-SEGMENTS=(\d+)", delta).group(1))
            self.assertGreater(skipped, 0)
            self.assertIn("#EXT-X-VERSION:9", delta)
            self.assertIn(f"#EXT-X-MEDIA-SEQUENCE:{msn}", delta)
            full_now = self.text(server, f"/live/test/video.m3u8?_HLS_msn={msn + 10}")
            _, full_segments = parse_parts(full_now)
            _, delta_segments = parse_parts(delta)
            # The delta holds exactly the newest segments of the full playlist.
            self.assertEqual(delta_segments, full_segments[skipped:])
            skip_until = float(re.search(r"CAN-SKIP-UNTIL=([\d.]+)", full).group(1))
            self.assertEqual(skip_until, 6.0)
            durations = [float(d) for d in re.findall(r"#EXTINF:([\d.]+),", delta)]
            self.assertGreaterEqual(sum(durations) + 1.0, skip_until)

    # ---- reconnect ------------------------------------------------------------------------

    def test_publisher_reconnect_inserts_a_discontinuity_and_playback_goes_on(self):
        with self.server() as server:
            first = self.publish(server, 6)
            self.wait_segments(server, 1)
            reader = self.spawn(
                ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                 "-i", self.url(server, "/live/test/index.m3u8"), "-t", "14",
                 "-map", "0:v:0", "-f", "framecrc", "-"])
            first.wait(30)
            playlist = self.text(server, "/live/test/video.m3u8")
            last_msn = parse_parts(playlist)[1][-1][0]
            self.publish(server, 20)
            wait_until(lambda: "#EXT-X-DISCONTINUITY\n" in server.get(
                "/live/test/video.m3u8")[2].decode(), 20, interval=0.1,
                message="a discontinuity after the reconnect")
            self.wait_segments(server, len(parse_parts(playlist)[1]) + 2)
            playlist = self.text(server, "/live/test/video.m3u8")
            _, segments = parse_parts(playlist)
            self.assertEqual([m for m, _ in segments],
                             list(range(segments[0][0], segments[0][0] + len(segments))),
                             "media sequence numbers go on without a gap")
            self.assertGreater(segments[-1][0], last_msn)
            self.assertRegex(playlist, r'#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI="video/init\d+.mp4"\n')
            mpd = self.text(server, "/live/test/index.mpd")
            self.assertEqual(len(re.findall(r"<Period ", mpd)), 2)
            out, _ = reader.communicate(timeout=60)
            times = [int(line.split(",")[2]) for line in out.decode().splitlines()
                     if line and not line.startswith("#")]
            self.assertGreater(len(times), 8 * FPS, "the reader went on after the reconnect")
            self.assertEqual(times, sorted(times), "timestamps never go back")


if __name__ == "__main__":
    unittest.main()
