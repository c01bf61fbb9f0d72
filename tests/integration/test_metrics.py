"""Who may read /metrics: loopback and the private ranges by default (metrics.allow), any
address with a bearer token listed in metrics.token_sha256, nobody else (403, or 401 for a
wrong token); both lists reload on SIGHUP; a bad network in the file is a config error that
names file, line, column and key."""

import hashlib
import http.client
import json
import os
import signal
import subprocess
import tempfile
import unittest

from harness import LOCALHOST, TIDECAST_BIN, Tidecast

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


if __name__ == "__main__":
    unittest.main()
