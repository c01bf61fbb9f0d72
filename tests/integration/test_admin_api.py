"""The admin REST API with real clients: curl-like HTTP requests against the real binary while
ffmpeg publishes and plays by RTMP and HTTP-FLV. Auth (generated token file, full and
read-only tokens), rate limits, stream and session listing, kicking, stream keys that
survive a restart and stop working when revoked, config reload, the OpenAPI document."""

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import LOCALHOST, ProcessTestCase, Tidecast, metric_value, wait_until

FULL_TOKEN = "full-access-token-for-tests-0123456789"
READ_TOKEN = "read-only-token-for-tests-0123456789"


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()


def publish_command(url, seconds=30):
    return ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k", "-f", "flv", url]


class AdminApiTest(ProcessTestCase):



    def server(self, overrides=None):
        return Tidecast(overrides or {}, port_keys=["rtmp.port"])

    def rtmp_url(self, server, key="test"):
        return f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/{key}"

    def api(self, server, method, path, token=FULL_TOKEN, body=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, response_headers, raw = server.request(method, path, body=data, headers=headers)
        payload = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else raw
        return status, response_headers, payload

    def tokens(self):
        return {"admin": {"token_sha256": [sha256(FULL_TOKEN)],
                          "read_token_sha256": [sha256(READ_TOKEN)]}}

    def wait_streams(self, server, count, timeout=20):
        def ready():
            status, _, body = self.api(server, "GET", "/api/v1/streams")
            return status == 200 and len(body["streams"]) == count and body
        return wait_until(ready, timeout, interval=0.1, message=f"{count} live stream(s)")

    # ---- auth -----------------------------------------------------------------------------

    def data_dir(self):
        """A data directory that outlives one server (restart tests)."""
        path = tempfile.mkdtemp(prefix="tidecast-admin-data-")
        self.addCleanup(shutil.rmtree, path, True)
        return path

    def test_generated_token_file_grants_access_and_requests_need_a_token(self):
        data_dir = self.data_dir()
        with self.server({"data_dir": data_dir}) as server:
            path = os.path.join(data_dir, "admin-token")
            with open(path) as f:
                token = f.read().strip()
            self.assertGreaterEqual(len(token), 32)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            status, headers, body = self.api(server, "GET", "/api/v1/server", token=None)
            self.assertEqual(status, 401)
            self.assertEqual(body["error"]["code"], "admin.unauthorized")
            self.assertIn("Bearer", headers.get("www-authenticate"))
            status, _, body = self.api(server, "GET", "/api/v1/server", token="wrong-token-123456")
            self.assertEqual(status, 401)
            status, _, body = self.api(server, "GET", "/api/v1/server", token=token)
            self.assertEqual(status, 200)
            self.assertRegex(body["version"], r"^\d+\.\d+\.\d+")
            self.assertGreater(body["rss_bytes"], 1_000_000)
            self.assertGreaterEqual(body["connections"]["http"], 1)
        # The same data directory keeps the same token across a restart.
        with Tidecast({"data_dir": data_dir}) as again:
            status, _, _ = self.api(again, "GET", "/api/v1/server", token=token)
            self.assertEqual(status, 200)

    def test_read_only_token_reads_but_cannot_write(self):
        with self.server(self.tokens()) as server:
            status, _, _ = self.api(server, "GET", "/api/v1/streams", token=READ_TOKEN)
            self.assertEqual(status, 200)
            status, _, body = self.api(server, "POST", "/api/v1/keys", token=READ_TOKEN,
                                       body={"app": "live"})
            self.assertEqual(status, 403)
            self.assertEqual(body["error"]["code"], "admin.forbidden")
            status, _, _ = self.api(server, "POST", "/api/v1/keys", body={"app": "live"})
            self.assertEqual(status, 201)

    def test_rate_limit_answers_429_with_retry_after(self):
        limits = self.tokens()
        limits["admin"]["rate_limit"] = {"per_ip_per_second": 1, "per_ip_burst": 3}
        with self.server(limits) as server:
            statuses = [self.api(server, "GET", "/api/v1/server")[0] for _ in range(4)]
            self.assertEqual(statuses[:3], [200, 200, 200])
            self.assertEqual(statuses[3], 429)
            status, headers, body = self.api(server, "GET", "/api/v1/server")
            self.assertEqual(status, 429)
            self.assertGreaterEqual(int(headers.get("retry-after")), 1)
            self.assertEqual(body["error"]["code"], "admin.rate_limited")
            status, _, _ = server.get("/healthz")
            self.assertEqual(status, 200, "other routes are not limited")

    # ---- streams and sessions -------------------------------------------------------------

    def test_live_stream_is_listed_with_its_stats_and_kicking_it_ends_it(self):
        with self.server(self.tokens()) as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_streams(server, 1)
            player = self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                 "-i", f"http://{LOCALHOST}:{server.port}/live/test.flv",
                                 "-f", "null", "-"])

            last = {}

            def described():
                body = self.wait_streams(server, 1)
                stream = last["stream"] = body["streams"][0]
                return (stream["video"] and stream["video"]["width"] == 640 and
                        stream["viewers"].get("http-flv") == 1 and stream["bitrate_in_bps"] > 0 and
                        stream["bitrate_out_bps"] > 0 and stream)
            try:
                stream = wait_until(described, 15, interval=0.2)
            except AssertionError:
                raise AssertionError(f"stream stats never complete: {last}") from None
            self.assertEqual(stream["name"], "live/test")
            self.assertEqual(stream["video"]["codec"], "h264")
            self.assertEqual(stream["video"]["height"], 360)
            self.assertEqual(stream["audio"]["codec"], "aac")
            self.assertEqual(stream["audio"]["sample_rate"], 48000)
            self.assertEqual(stream["publisher"]["protocol"], "rtmp")
            self.assertEqual(stream["viewers"]["total"], 1)
            status, _, detail = self.api(server, "GET", "/api/v1/streams/live/test")
            self.assertEqual(status, 200)
            self.assertEqual(detail["publisher"]["id"], stream["publisher"]["id"])

            status, _, _ = self.api(server, "DELETE", "/api/v1/streams/live/test")
            self.assertEqual(status, 204)
            self.assertEqual(self.api(server, "GET", "/api/v1/streams/live/test")[0], 404)
            self.assertEqual(self.wait_streams(server, 0)["streams"], [])
            publisher.wait(15)
            player.wait(15)
            self.assertIn("kicked by an admin", server.log_text())
            self.assertEqual(self.api(server, "DELETE", "/api/v1/streams/live/test")[0], 404)

    def test_sessions_are_listed_and_one_player_can_be_kicked(self):
        with self.server(self.tokens()) as server:
            self.spawn(publish_command(self.rtmp_url(server)))
            self.wait_streams(server, 1)
            players = [self.spawn(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin",
                                   "-i", url, "-f", "null", "-"])
                       for url in (self.rtmp_url(server),
                                   f"http://{LOCALHOST}:{server.port}/live/test.flv")]

            def two_players():
                status, _, body = self.api(server, "GET", "/api/v1/sessions?role=player")
                playing = [s for s in body.get("sessions", []) if s["stream"] == "live/test"]
                return status == 200 and len(playing) == 2 and playing
            sessions = wait_until(two_players, 15, interval=0.1, message="two players")
            self.assertEqual(sorted(s["protocol"] for s in sessions), ["http-flv", "rtmp"])
            rtmp = next(s for s in sessions if s["protocol"] == "rtmp")
            self.assertEqual(rtmp["stream"], "live/test")
            status, _, one = self.api(server, "GET", f"/api/v1/sessions/{rtmp['id']}")
            self.assertEqual(status, 200)
            self.assertEqual(one["role"], "player")
            status, _, _ = self.api(server, "DELETE", f"/api/v1/sessions/{rtmp['id']}")
            self.assertEqual(status, 204)
            players[0].wait(15)
            wait_until(lambda: len(self.api(server, "GET", "/api/v1/sessions?role=player")[2]
                                   ["sessions"]) == 1, 10, message="one player left")
            self.assertIsNone(players[1].poll(), "the other player goes on")
            self.assertEqual(self.api(server, "DELETE", "/api/v1/sessions/999999")[0], 404)
            self.assertEqual(self.api(server, "GET", "/api/v1/sessions/abc")[0], 404)

    # ---- stream keys ----------------------------------------------------------------------

    def test_created_key_publishes_survives_a_restart_and_revoked_it_is_refused(self):
        overrides = self.tokens()
        overrides["apps"] = {"live": {"publish_keys": ["config-key"]}}
        overrides["data_dir"] = self.data_dir()
        with self.server(overrides) as server:
            status, _, created = self.api(server, "POST", "/api/v1/keys",
                                          body={"app": "live", "label": "studio A"})
            self.assertEqual(status, 201)
            key = created["key"]
            self.assertGreaterEqual(len(key), 32)
            self.assertEqual(created["key_sha256_prefix"], sha256(key)[:12])
            self.assertEqual(self.api(server, "POST", "/api/v1/keys", body={"label": "x"})[0], 400)
            self.assertEqual(self.api(server, "POST", "/api/v1/keys", body={"app": "../x"})[0], 400)
            refused = self.spawn(publish_command(self.rtmp_url(server, "not-a-key"), 5))
            self.assertNotEqual(refused.wait(20), 0, "an unknown key is refused")

        with Tidecast(overrides, port_keys=["rtmp.port"]) as server:
            status, _, listed = self.api(server, "GET", "/api/v1/keys")
            self.assertEqual(status, 200)
            self.assertEqual([k["id"] for k in listed["keys"]], [created["id"]])
            self.assertNotIn("key", listed["keys"][0], "the key itself is never shown again")
            self.assertEqual(listed["keys"][0]["label"], "studio A")
            publisher = self.spawn(publish_command(self.rtmp_url(server, key), 3))
            self.assertEqual(self.wait_streams(server, 1)["streams"][0]["key"], key)
            publisher.wait(20)
            self.wait_streams(server, 0)
            config_key = self.spawn(publish_command(self.rtmp_url(server, "config-key"), 2))
            self.wait_streams(server, 1)
            config_key.wait(20)
            self.wait_streams(server, 0)

            status, _, _ = self.api(server, "DELETE", f"/api/v1/keys/{created['id']}")
            self.assertEqual(status, 204)
            self.assertEqual(self.api(server, "DELETE", f"/api/v1/keys/{created['id']}")[0], 404)
            self.assertEqual(self.api(server, "GET", "/api/v1/keys")[2]["keys"], [])
            revoked = self.spawn(publish_command(self.rtmp_url(server, key), 5))
            self.assertNotEqual(revoked.wait(20), 0, "a revoked key can no longer publish")
            self.assertEqual(self.wait_streams(server, 0)["streams"], [])

    # ---- server ---------------------------------------------------------------------------

    def test_reload_reports_keys_that_need_a_restart(self):
        with self.server(self.tokens()) as server:
            server.write_config({"log": {"level": "info"}, "http": {"port": server.port + 1}})
            status, _, body = self.api(server, "POST", "/api/v1/server/reload")
            self.assertEqual(status, 200)
            self.assertTrue(body["reloaded"])
            self.assertIn("http.port", body["restart_required"])
            server.write_config(text="http: [broken\n")
            status, _, body = self.api(server, "POST", "/api/v1/server/reload")
            self.assertEqual(status, 409)
            self.assertEqual(body["error"]["code"], "config.syntax")

    def test_openapi_document_is_served_without_a_token(self):
        with self.server(self.tokens()) as server:
            status, headers, body = server.get("/api/v1/openapi.yaml")
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "application/yaml")
            self.assertTrue(body.startswith(b"openapi: 3.1.0"))
            with open(os.path.join(os.environ.get("TIDECAST_SOURCE_DIR", "../.."),
                                   "api", "openapi.yaml"), "rb") as f:
                self.assertEqual(body, f.read(), "the binary serves the repository's document")


if __name__ == "__main__":
    unittest.main()
