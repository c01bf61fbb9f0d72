"""Webhooks with the real binary: a Python receiver in the test answers on_publish (gating
an ffmpeg RTMP publish: deny, allow, rename, hang), on_play (gating RTMP and HTTP-FLV
players) and gets the on_publish_done / on_play_done notifications."""

import json
import subprocess
import unittest

from harness import (LOCALHOST, ProcessTestCase, Tidecast, metric_value, public_stream_name,
                     wait_until)
from test_rtmp import publish_command
from webhook_server import WebhookServer


class WebhookTest(ProcessTestCase):



    def server(self, hooks, **webhooks):
        config = {"webhooks": dict(webhooks)}
        for name, path in (("on_publish", "/publish"), ("on_publish_done", "/publish_done"),
                           ("on_play", "/play"), ("on_play_done", "/play_done")):
            config["webhooks"][name] = hooks.url(path)
        return Tidecast(config, port_keys=["rtmp.port"])

    def rtmp_url(self, server, key="test"):
        return f"rtmp://{LOCALHOST}:{server.ports['rtmp.port']}/live/{key}"

    def live_streams(self, server):
        return metric_value(server.get("/metrics")[2].decode(), "tidecast_core_live_streams")

    def test_on_publish_403_stops_the_publish(self):
        with WebhookServer({"/publish": (403, '{"error":"no"}', 0)}) as hooks, \
                self.server(hooks) as server:
            result = subprocess.run(publish_command(self.rtmp_url(server), seconds=2),
                                    capture_output=True, text=True, timeout=60)
            self.assertNotEqual(result.returncode, 0)
            body = hooks.wait_for("/publish")[0]
            self.assertEqual(body["event"], "on_publish")
            self.assertEqual((body["app"], body["key"], body["stream"]), ("live", "test", "live/test"))
            self.assertEqual(body["protocol"], "rtmp")
            self.assertTrue(body["peer"].startswith("127.0.0.1:"), body)
            self.assertGreater(body["session"], 0)
            self.assertGreater(body["time"], 1_600_000_000_000)
            self.assertIn("code=webhook.denied", server.log_text())
            self.assertNotIn("stream.started", server.log_text())
            text = server.get("/metrics")[2].decode()
            self.assertEqual(metric_value(
                text, 'tidecast_api_webhook_requests_total{hook="on_publish",result="4xx"}'), 1)

    def test_allowed_publish_and_play_send_every_hook_with_its_body(self):
        with WebhookServer() as hooks, self.server(hooks) as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server) + "?token=abc",
                                                   seconds=6))
            wait_until(lambda: self.live_streams(server) == 1, 20, message="live")
            publish = hooks.received("/publish")[0]
            self.assertEqual(publish["query"], "token=abc")
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams",
                                    self.rtmp_url(server)],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(probe.returncode, 0, probe.stderr)
            play = hooks.wait_for("/play")[0]
            self.assertEqual((play["event"], play["stream"], play["protocol"]),
                             ("on_play", "live/test", "rtmp"))
            play_done = hooks.wait_for("/play_done")[0]
            self.assertEqual((play_done["event"], play_done["stream"]),
                             ("on_play_done", "live/test"))
            self.assertEqual(play_done["session"], play["session"])
            publisher.wait(timeout=60)
            done = hooks.wait_for("/publish_done")[0]
            self.assertEqual((done["event"], done["stream"], done["protocol"]),
                             ("on_publish_done", "live/test", "rtmp"))
            self.assertEqual(done["session"], publish["session"])
            self.assertNotEqual(done["reason"], "")

    def test_on_publish_answer_renames_the_stream(self):
        with WebhookServer({"/publish": (200, '{"stream": "renamed"}', 0)}) as hooks, \
                self.server(hooks) as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server, "original"), seconds=5))
            wait_until(lambda: self.live_streams(server) == 1, 20, message="live")
            self.assertIn(f"stream.started stream={public_stream_name('live/renamed')} ",
                          server.log_text())
            status, _, _ = server.get("/live/original.flv")
            self.assertEqual(status, 404)
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams",
                                    server.url("/live/renamed.flv")],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(probe.returncode, 0, probe.stderr)
            publisher.wait(timeout=60)

    def test_hanging_webhook_denies_the_publish_after_timeout_and_retries(self):
        with WebhookServer({"/publish": (200, "", 30)}) as hooks, \
                self.server(hooks, timeout_ms=300, retries=1, retry_backoff_ms=100) as server:
            result = subprocess.run(publish_command(self.rtmp_url(server), seconds=2),
                                    capture_output=True, text=True, timeout=60)
            self.assertNotEqual(result.returncode, 0)
            self.assertEqual(len(hooks.wait_for("/publish", count=2)), 2, result.stderr)
            server.wait_for_log("webhook.failed hook=on_publish .* result=timeout")
            self.assertNotIn("stream.started", server.log_text())
            wait_until(lambda: metric_value(
                server.get("/metrics")[2].decode(),
                'tidecast_api_webhook_requests_total{hook="on_publish",result="timeout"}') == 2,
                5, message="two timed-out attempts counted")

    def test_on_play_denial_refuses_rtmp_and_http_flv_players(self):
        with WebhookServer({"/play": (403, "", 0)}) as hooks, self.server(hooks) as server:
            publisher = self.spawn(publish_command(self.rtmp_url(server), seconds=6))
            wait_until(lambda: self.live_streams(server) == 1, 20, message="live")
            status, _, body = server.get("/live/test.flv")
            self.assertEqual(status, 403)
            self.assertEqual(json.loads(body)["error"]["code"], "webhook.denied")
            probe = subprocess.run(["ffprobe", "-v", "error", "-show_streams",
                                    self.rtmp_url(server)],
                                   capture_output=True, text=True, timeout=30)
            self.assertNotEqual(probe.returncode, 0)
            self.assertIn("rtmp.play_refused", server.log_text())
            self.assertEqual(len(hooks.received("/play_done")), 0, "never joined, never left")
            publisher.wait(timeout=60)


if __name__ == "__main__":
    unittest.main()
