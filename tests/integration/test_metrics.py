"""Who may read /metrics: loopback and the private ranges by default (metrics.allow), any
address with a bearer token listed in metrics.token_sha256, nobody else (403, or 401 for a
wrong token); both lists reload on SIGHUP; a bad network in the file is a config error that
names file, line, column and key. And what it shows: streams by their public id
(live/k-<12 hex of SHA-256(key)>, renditions live/k-…/90p), never by the secret key, which
the log never shows either."""

import hashlib
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import tempfile
import unittest

from harness import (LOCALHOST, TIDECAST_BIN, ProcessTestCase, Tidecast, metric_value,
                     public_stream_name, wait_until)

TOKEN = "scrape-0123456789abcdef"
TOKEN_SHA256 = hashlib.sha256(TOKEN.encode()).hexdigest()


def get(host, port, path="/metrics", headers=None):
    """One GET from `host` (127.0.0.1 or ::1): (status, lower-cased headers, body)."""
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


class MetricsAccessTest(unittest.TestCase):
    def start(self, overrides=None):
        server = Tidecast(overrides).start()
        self.addCleanup(server.cleanup)
        return server

    def assert_refused(self, answer, status, code):
        self.assertEqual(answer[0], status, answer)
        self.assertEqual(answer[1].get("content-type"), "application/json")
        self.assertEqual(json.loads(answer[2])["error"]["code"], code)
        self.assertNotIn(b"tidecast_", answer[2])

    def test_default_allows_loopback_and_a_reload_shuts_it_out(self):
        server = self.start()
        status, headers, body = get(LOCALHOST, server.port)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"), headers)
        self.assertIn(b"tidecast_api_http_connections", body)

        mark = server.log_size()
        server.write_config({"metrics": {"allow": ["10.0.0.0/8"]}})
        server.send_signal(signal.SIGHUP)
        server.wait_for_log(r"config\.reloaded", since=mark)
        self.assert_refused(get(LOCALHOST, server.port), 403, "metrics.forbidden")
        self.assertEqual(server.get("/healthz")[0], 200, "only /metrics is guarded")

    def test_allow_without_loopback_refuses_a_loopback_client(self):
        server = self.start({"metrics": {"allow": ["10.0.0.0/8"]}})
        self.assert_refused(get(LOCALHOST, server.port), 403, "metrics.forbidden")
        server.wait_for_log(r"debug metrics\.refused peer=127\.0\.0\.1 status=403")

    def test_a_listed_bearer_token_is_allowed_from_any_address(self):
        server = self.start({"metrics": {"allow": [], "token_sha256": [TOKEN_SHA256]}})
        self.assert_refused(get(LOCALHOST, server.port), 403, "metrics.forbidden")
        for scheme in ("Bearer", "bearer"):
            status, _, body = get(LOCALHOST, server.port,
                                  headers={"Authorization": f"{scheme} {TOKEN}"})
            self.assertEqual(status, 200, body)
            self.assertIn(b"tidecast_api_http_connections", body)
        wrong = get(LOCALHOST, server.port, headers={"Authorization": "Bearer not-the-token"})
        self.assert_refused(wrong, 401, "metrics.unauthorized")
        self.assertEqual(wrong[1].get("www-authenticate"), 'Bearer realm="tidecast-metrics"')

        mark = server.log_size()  # the token list reloads too
        server.write_config({"metrics": {"allow": [], "token_sha256": []}})
        server.send_signal(signal.SIGHUP)
        server.wait_for_log(r"config\.reloaded", since=mark)
        stale = get(LOCALHOST, server.port, headers={"Authorization": f"Bearer {TOKEN}"})
        self.assert_refused(stale, 401, "metrics.unauthorized")

    def test_ipv4_clients_of_a_dual_stack_listener_match_ipv4_networks(self):
        server = self.start({"http": {"listen": "::"}, "metrics": {"allow": ["127.0.0.0/8"]}})
        self.assertEqual(get(LOCALHOST, server.port)[0], 200, "::ffff:127.0.0.1 is 127.0.0.1")
        self.assert_refused(get("::1", server.port), 403, "metrics.forbidden")

        mark = server.log_size()
        server.write_config({"http": {"listen": "::"}, "metrics": {"allow": ["::1"]}})
        server.send_signal(signal.SIGHUP)
        server.wait_for_log(r"config\.reloaded", since=mark)
        self.assertEqual(get("::1", server.port)[0], 200)
        self.assert_refused(get(LOCALHOST, server.port), 403, "metrics.forbidden")

    def test_a_bad_network_is_a_config_error_naming_where_and_why(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write("metrics:\n  allow:\n    - 10.0.0.0/8\n    - 192.168.1.0/16\n")
            out = subprocess.run([TIDECAST_BIN, "--check-config", path], capture_output=True,
                                 text=True, timeout=20, stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 1, out.stdout)
        self.assertIn(f"{path}:4:7: metrics.allow: '192.168.1.0/16': bits are set past the "
                      "prefix length", out.stderr)


def encode_args(seconds):
    """A small testsrc2 + sine as H.264 + AAC in real time, a keyframe every second."""
    return ["-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=15",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"]


class StreamKeysTest(ProcessTestCase):
    """Keys are secrets: publishing, transcoding, playing and refusing a stream must not write
    its key into /metrics or the log (the test server logs at debug level)."""

    def server(self):
        rung = {"name": "90p", "height": 90, "video_bitrate": 100_000, "preset": "ultrafast"}
        return Tidecast({"apps": {"live": {"transcode": "abr"}},
                         "transcode": {"workers": 1, "ladders": {"abr": {"renditions": [rung]}}}},
                        port_keys=["rtmp.port"])

    def test_a_stream_key_shows_in_neither_metrics_nor_the_log(self):
        rtmp_key, srt_key = f"sk_rtmp_{secrets.token_hex(8)}", f"sk_srt_{secrets.token_hex(8)}"
        rtmp_id = public_stream_name(f"live/{rtmp_key}")  # live/k-<12 hex>
        srt_id = public_stream_name(f"live/{srt_key}")
        scrapes = []

        def scrape():
            scrapes.append(get(LOCALHOST, server.port)[2].decode())
            return scrapes[-1]

        with self.server() as server:
            rtmp_url = f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/{rtmp_key}"
            srt_url = (f"srt://{LOCALHOST}:{server.ports['srt.port']}"
                       f"?streamid=#!::r=live/{srt_key},m=publish")
            publishers = [self.spawn(["ffmpeg", *encode_args(8), "-f", "flv", rtmp_url]),
                          self.spawn(["ffmpeg", *encode_args(8), "-f", "mpegts", srt_url])]

            def labelled():
                text = scrape()
                wanted = [f'tidecast_core_stream_players{{stream="{rtmp_id}"}}',
                          f'tidecast_core_stream_players{{stream="{rtmp_id}/90p"}}',
                          f'tidecast_core_stream_players{{stream="{srt_id}"}}',
                          f'tidecast_core_transcode_queue_frames{{stream="{srt_id}"}}']
                return all(metric_value(text, series) is not None for series in wanted)
            wait_until(labelled, 30, interval=0.2, message="the streams' series in /metrics")
            self.assertRegex(scrapes[-1], r'tidecast_ingest_srt_rtt_milliseconds\{session="\d+",'
                                          rf'stream="{re.escape(srt_id)}"\}}')

            # Players and a refused second publisher under the same key.
            for path in (f"/live/{rtmp_key}/index.m3u8", f"/live/{srt_key}/90p/video.m3u8"):
                wait_until(lambda: server.get(path)[0] == 200, 20, interval=0.2, message=path)
            self.assertEqual(server.get("/live/sk_not_live/index.m3u8")[0], 404)
            second = subprocess.run(["ffmpeg", *encode_args(1), "-f", "flv", rtmp_url],
                                    capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
            self.assertNotEqual(second.returncode, 0, "a live key refuses a second publisher")

            for publisher in publishers:
                self.assertEqual(publisher.wait(timeout=60), 0, publisher.stderr.read())
            for stream in (rtmp_id, srt_id):
                server.wait_for_log(rf"transcode\.stopped stream={stream} ", timeout=20)
            scrape()
            log = server.log_text()

        for text in scrapes:
            self.assertNotIn(rtmp_key, text)
            self.assertNotIn(srt_key, text)
        self.assertNotIn(rtmp_key, log)
        self.assertNotIn(srt_key, log)
        # The public ids stand where the keys were.
        for line in (f"stream.started stream={rtmp_id} ", f"stream.started stream={srt_id} ",
                     f"rendition.started stream={rtmp_id}/90p ",
                     f"stream.stopped stream={rtmp_id} ", f"stream.stopped stream={srt_id} "):
            self.assertIn(line, log)
        self.assertRegex(log, rf"srt\.connected [^\n]* stream={srt_id}\n")
        self.assertRegex(log, rf"rtmp\.publish_refused [^\n]* key={rtmp_id.split('/')[1]} "
                              r"code=hub\.already_publishing")


if __name__ == "__main__":
    unittest.main()
