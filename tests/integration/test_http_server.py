"""The HTTP/1.1 server, the system routes, signals and the command line, end to end.

Starts the real binary (harness.Tidecast) on free loopback ports and talks to it with raw
sockets, http.client and the curl CLI.
"""

import datetime
import email.utils
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

from harness import (SOURCE_DIR, TIDECAST_BIN, ResponseReader, Tidecast, connect, free_port,
                     metric_value, parse_responses, raw_request, recv_until_close, wait_until)

CURL = shutil.which("curl")

# Limits small enough to reach from a test, timeouts short enough to wait for.
BODY_LIMIT = 1024
HEADER_LIMIT = 2048
MAX_PIPELINED = 4
HEADER_TIMEOUT_MS = 500
IDLE_TIMEOUT_MS = 1000
SLACK_S = 2.0  # scheduling slack on a loaded 2-core machine

# Size limits only: the default (long) timeouts mean any close these servers do is the one
# under test, never a timeout.
SIZE_LIMITED = {
    "http": {
        "limits": {
            "max_body_bytes": BODY_LIMIT,
            "max_header_bytes": HEADER_LIMIT,
            "max_pipelined": MAX_PIPELINED,
        }
    }
}
TIMEOUT_LIMITED = {
    "http": {
        "limits": {
            "header_timeout_ms": HEADER_TIMEOUT_MS,
            "idle_timeout_ms": IDLE_TIMEOUT_MS,
        }
    }
}


def get(path, extra=b"", version=b"HTTP/1.1", method=b"GET"):
    return method + b" " + path.encode() + b" " + version + b"\r\nHost: test\r\n" + extra + b"\r\n"


def post(path, body, extra=b""):
    return (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: test\r\nContent-Length: " +
            str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


class ServerTestCase(unittest.TestCase):
    """One server per class (cheap to start); its log is printed if a test of the class fails."""

    OVERRIDES = {}

    @classmethod
    def setUpClass(cls):
        cls.server = Tidecast(cls.OVERRIDES).start()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.server.stop()
            if code != 0:
                cls.server.dump_log(f"exit code {code}")
        finally:
            cls.server.cleanup()

    def run(self, result=None):
        failures = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result is not None and len(result.failures) + len(result.errors) > failures:
            self.server.dump_log(self.id())
        return out

    @property
    def port(self):
        return self.server.port

    def one_response(self, data, timeout=5.0, expect_close=False):
        """Sends `data` on a fresh connection and returns its first response; with
        expect_close, (response, whether the server closed the connection within timeout)."""
        with connect(self.port) as sock:
            sock.sendall(data)
            reader = ResponseReader(sock, timeout)
            response = reader.read_response()
            if not expect_close:
                return response
            return response, reader.closed_by_peer(timeout)

    def assertJsonError(self, response, status, code):
        self.assertEqual(response.status, status, response)
        self.assertTrue(response.header("Content-Type", "").startswith("application/json"),
                        response.headers)
        body = response.json()
        self.assertEqual(body["error"]["code"], code, body)
        self.assertIsInstance(body["error"]["message"], str)
        self.assertTrue(body["error"]["message"])


# ---- system routes ----------------------------------------------------------------------------


class SystemRoutesTest(ServerTestCase):

    def test_healthz_returns_ok_json_with_version(self):
        status, headers, body = self.server.get("/healthz")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        doc = json.loads(body)
        self.assertEqual(doc["status"], "ok")
        self.assertRegex(doc["version"], r"^\d+\.\d+\.\d+")
        self.assertEqual(headers.get("server"), "tidecast")
        date = email.utils.parsedate_to_datetime(headers["date"])
        self.assertLess(abs(time.time() - date.timestamp()), 5.0, headers["date"])

    def test_metrics_is_prometheus_text_with_process_and_http_series(self):
        status, headers, body = self.server.get("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"), headers)
        text = body.decode()
        self.assertGreater(metric_value(text, "process_resident_memory_bytes"), 0)
        self.assertIsNotNone(metric_value(text, 'tidecast_api_http_responses_total{class="2xx"}'))
        self.assertIn("# TYPE tidecast_api_http_responses_total counter", text)

    def test_metrics_2xx_counter_increases_after_requests(self):
        series = 'tidecast_api_http_responses_total{class="2xx"}'
        before = metric_value(self.server.metrics(), series)
        for _ in range(3):
            self.assertEqual(self.server.get("/healthz")[0], 200)
        after = metric_value(self.server.metrics(), series)
        self.assertGreaterEqual(after, before + 3)

    def test_metrics_4xx_counter_increases_after_404(self):
        series = 'tidecast_api_http_responses_total{class="4xx"}'
        before = metric_value(self.server.metrics(), series)
        self.assertEqual(self.server.get("/definitely/not/here")[0], 404)
        self.assertGreaterEqual(metric_value(self.server.metrics(), series), before + 1)

    def test_time_returns_iso8601_utc_close_to_now(self):
        status, headers, body = self.server.get("/time")
        self.assertEqual(status, 200)
        text = body.decode().strip()
        self.assertRegex(text, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
        stamp = datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
        now = datetime.datetime.now(datetime.timezone.utc)
        self.assertLess(abs((now - stamp).total_seconds()), 5.0, f"{text} vs {now}")
        self.assertEqual(headers.get("cache-control"), "no-store")

    def test_unknown_path_is_404_json_not_found(self):
        response = self.one_response(get("/no/such/thing"))
        self.assertJsonError(response, 404, "not_found")

    def test_wrong_method_is_405_with_allow_header(self):
        response = self.one_response(post("/healthz", b""))
        self.assertJsonError(response, 405, "method_not_allowed")
        allow = [m.strip() for m in response.header("Allow", "").split(",")]
        self.assertIn("GET", allow)
        self.assertIn("HEAD", allow)
        self.assertNotIn("POST", allow)

    def test_options_preflight_is_204_with_allowed_methods(self):
        response = self.one_response(
            get("/healthz", method=b"OPTIONS",
                extra=b"Origin: http://example.test\r\nAccess-Control-Request-Method: GET\r\n"
                      b"Access-Control-Request-Headers: X-Requested-With\r\n"))
        self.assertEqual(response.status, 204)
        methods = [m.strip()
                   for m in response.header("Access-Control-Allow-Methods", "").split(",")]
        self.assertIn("GET", methods)
        self.assertIn("OPTIONS", methods)
        self.assertEqual(response.header("Access-Control-Allow-Origin"), "*")
        self.assertIn("X-Requested-With", response.header("Access-Control-Allow-Headers", ""))
        self.assertEqual(response.body, b"")

    def test_head_healthz_has_content_length_but_no_body(self):
        # The GET pipelined behind the HEAD only parses if the HEAD answer carried no body.
        data = raw_request(self.port, get("/healthz", method=b"HEAD") +
                           get("/time", extra=b"Connection: close\r\n"))
        head, after = parse_responses(data, head_requests={0})
        self.assertEqual(head.status, 200)
        self.assertGreater(int(head.header("Content-Length")), 0)
        self.assertEqual(head.body, b"")
        self.assertEqual(after.status, 200)
        self.assertRegex(after.body.decode(), r"^\d{4}-")

    def test_expect_100_continue_gets_interim_response(self):
        with connect(self.port) as sock:
            sock.sendall(b"POST /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                         b"Expect: 100-continue\r\n\r\n")
            reader = ResponseReader(sock)
            interim = reader.read_response(skip_interim=False)
            self.assertEqual(interim.status, 100)
            sock.sendall(b"hello")
            self.assertJsonError(reader.read_response(), 405, "method_not_allowed")

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_head_shows_content_length(self):
        out = subprocess.run([CURL, "-sS", "-I", "--max-time", "5", self.server.url("/healthz")],
                             capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stdout, r"^HTTP/1\.1 200")
        self.assertRegex(out.stdout, r"(?im)^content-length: [1-9]\d*\r?$")

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_reuses_keep_alive_connection(self):
        out = subprocess.run(
            [CURL, "-sS", "--max-time", "5", "-o", os.devnull, "-o", os.devnull, "-o", os.devnull,
             "-w", "%{http_code} %{num_connects}\n",
             self.server.url("/healthz"), self.server.url("/time"), self.server.url("/nope")],
            capture_output=True, text=True, timeout=10)
        self.assertEqual(out.returncode, 0, out.stderr)
        # One TCP connection for the three transfers: later ones report 0 new connects.
        self.assertEqual(out.stdout.split("\n")[:3], ["200 1", "200 0", "404 0"])


# ---- request limits and malformed input ---------------------------------------------------------


class RequestLimitsTest(ServerTestCase):
    OVERRIDES = SIZE_LIMITED

    def test_body_within_limit_is_read_and_routed(self):
        with connect(self.port) as sock:
            reader = ResponseReader(sock)
            sock.sendall(post("/healthz", b"x" * BODY_LIMIT))
            self.assertJsonError(reader.read_response(), 405, "method_not_allowed")  # routed
            sock.sendall(get("/healthz"))  # and the connection is still usable
            self.assertEqual(reader.read_response().status, 200)

    def test_body_over_limit_is_413_and_connection_closed(self):
        response, closed = self.one_response(post("/healthz", b"x" * (BODY_LIMIT * 4)),
                                             expect_close=True)
        self.assertJsonError(response, 413, "http.body_too_large")
        self.assertEqual(response.header("Connection"), "close")
        self.assertTrue(closed, "server kept the connection open after 413")

    def test_chunked_body_over_limit_is_413(self):
        chunk = b"y" * 600
        data = (b"POST /healthz HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n" +
                (b"258\r\n" + chunk + b"\r\n") * 3 + b"0\r\n\r\n")
        response, closed = self.one_response(data, expect_close=True)
        self.assertJsonError(response, 413, "http.body_too_large")
        self.assertTrue(closed)

    @unittest.skipUnless(CURL, "curl not installed")
    def test_curl_data_binary_over_limit_gets_413(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "body.bin")
            with open(path, "wb") as f:
                f.write(os.urandom(BODY_LIMIT * 8))
            body_path = os.path.join(tmp, "answer.json")
            out = subprocess.run(
                [CURL, "-sS", "--max-time", "10", "-o", body_path, "-w", "%{http_code}",
                 "--data-binary", "@" + path, self.server.url("/healthz")],
                capture_output=True, text=True, timeout=20)
            self.assertEqual(out.returncode, 0, out.stderr)
            self.assertEqual(out.stdout, "413")
            with open(body_path, "rb") as f:
                self.assertEqual(json.load(f)["error"]["code"], "http.body_too_large")

    def test_header_block_over_limit_is_431_and_connection_closed(self):
        big = b"X-Padding: " + b"a" * (HEADER_LIMIT * 2) + b"\r\n"
        response, closed = self.one_response(get("/healthz", extra=big), expect_close=True)
        self.assertJsonError(response, 431, "http.header_too_large")
        self.assertTrue(closed)

    def test_many_small_headers_over_limit_are_431(self):
        extra = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(60))  # ~3 KB
        response, closed = self.one_response(get("/healthz", extra=extra), expect_close=True)
        self.assertJsonError(response, 431, "http.header_too_large")
        self.assertTrue(closed)

    def test_malformed_request_line_is_400_and_connection_closed(self):
        response, closed = self.one_response(b"THIS IS NOT HTTP\r\n\r\n", expect_close=True)
        self.assertEqual(response.status, 400)
        self.assertEqual(response.json()["error"]["code"], "http.malformed")
        self.assertTrue(closed)

    def test_content_length_with_transfer_encoding_is_400(self):
        # A request-smuggling shape (RFC 9112 6.1): refuse rather than guess the framing.
        data = (b"POST /healthz HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        response, closed = self.one_response(data, expect_close=True)
        self.assertEqual(response.status, 400, response)
        self.assertTrue(response.json()["error"]["code"].startswith("http."))
        self.assertTrue(closed)

    def test_whitespace_in_header_name_is_400(self):
        # RFC 9112 5.1: whitespace between name and colon MUST be refused (smuggling shape).
        for line in (b"X-Thing : value\r\n", b"X Thing: value\r\n"):
            response, closed = self.one_response(get("/healthz", extra=line), expect_close=True)
            self.assertEqual(response.status, 400, line)
            self.assertEqual(response.json()["error"]["code"], "http.malformed")
            self.assertTrue(closed)

    def test_malformed_request_behind_good_ones_is_answered_after_them(self):
        data = raw_request(self.port, get("/healthz") + get("/time") + b"BROKEN\x01\r\n\r\n")
        statuses = [r.status for r in parse_responses(data)]
        self.assertEqual(statuses, [200, 200, 400])

    def test_unsupported_http_version_is_refused(self):
        response, closed = self.one_response(b"GET /healthz HTTP/2.0\r\nHost: test\r\n\r\n",
                                             expect_close=True)
        self.assertJsonError(response, 505, "http.version")
        self.assertTrue(closed)

    def test_requests_the_parser_could_wait_on_are_answered_and_closed_at_once(self):
        # Each of these used to get no answer until the header timeout (10 s here): llhttp
        # waited for a chunk of 2^64-1 bytes, or for the byte after an HTTP/0.9 request line.
        chunked = b"POST /healthz HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
        cases = [
            (chunked + b"ffffffffffffffff\r\n", 400, "http.bad_chunk_size"),
            (chunked + b"10000000000000000\r\n", 400, "http.bad_chunk_size"),
            (chunked + b"%x\r\n" % (BODY_LIMIT + 1), 413, "http.body_too_large"),
            (b"GET /healthz\r\n", 400, "http.malformed"),
            (b"GET /healthz HTTP/2.0\r\n", 505, "http.version"),
            (b"GET /healthz HTTP/3.1\r\nHost: test\r\n\r\n", 505, "http.version"),
        ]
        for data, status, code in cases:
            with self.subTest(data=data):
                start = time.monotonic()
                response, closed = self.one_response(data, timeout=5.0, expect_close=True)
                elapsed = time.monotonic() - start
                self.assertJsonError(response, status, code)
                self.assertEqual(response.header("Connection"), "close")
                self.assertTrue(closed, "server kept the connection open after the answer")
                self.assertLess(elapsed, 1.0, "answer and close must not wait for a timeout")


# ---- connections: keep-alive, pipelining, timeouts -------------------------------------------


class ConnectionHandlingTest(ServerTestCase):
    OVERRIDES = SIZE_LIMITED

    def test_keep_alive_serves_several_requests_on_one_socket(self):
        with connect(self.port) as sock:
            reader = ResponseReader(sock)
            for path, status in [("/healthz", 200), ("/nope", 404), ("/time", 200),
                                 ("/metrics", 200), ("/healthz", 200)]:
                sock.sendall(get(path))
                response = reader.read_response()
                self.assertEqual(response.status, status, path)
                self.assertNotEqual((response.header("Connection") or "").lower(), "close")
            self.assertFalse(reader.closed_by_peer(timeout=0.1))

    def test_connection_close_request_gets_close_header_and_eof(self):
        with connect(self.port) as sock:
            sock.sendall(get("/healthz", extra=b"Connection: close\r\n"))
            reader = ResponseReader(sock)
            response = reader.read_response()
            self.assertEqual(response.status, 200)
            self.assertEqual(response.header("Connection"), "close")
            self.assertTrue(reader.closed_by_peer(), "server did not close")

    def test_http10_request_defaults_to_close(self):
        data = raw_request(self.port, b"GET /healthz HTTP/1.0\r\n\r\n")
        (response,) = parse_responses(data)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Connection"), "close")
        self.assertEqual(response.json()["status"], "ok")

    def test_http10_keep_alive_when_asked(self):
        with connect(self.port) as sock:
            reader = ResponseReader(sock)
            for _ in range(2):
                sock.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                response = reader.read_response()
                self.assertEqual(response.status, 200)
                self.assertEqual(response.header("Connection"), "keep-alive")

    def test_half_closed_client_still_gets_every_answer(self):
        # Like `printf ... | nc`: the requests, then FIN at once, without Connection: close.
        with connect(self.port) as sock:
            sock.sendall(get("/healthz") * 30 + get("/nope"))
            sock.shutdown(socket.SHUT_WR)
            data = recv_until_close(sock)
        self.assertEqual([r.status for r in parse_responses(data)], [200] * 30 + [404])

    def pipeline(self, count):
        paths = [("/healthz", 200), ("/nope", 404), ("/time", 200)]
        expected, data = [], b""
        for i in range(count):
            path, status = paths[i % len(paths)]
            last = i == count - 1
            close = b"Connection: close\r\n" if last else b""
            data += get(path, extra=b"X-Seq: %d\r\n" % i + close)
            expected.append(status)
        with connect(self.port) as sock:
            sock.sendall(data)  # one write
            answer = recv_until_close(sock, timeout=10)
        responses = parse_responses(answer)
        self.assertEqual([r.status for r in responses], expected)
        for i, response in enumerate(responses):
            path = paths[i % len(paths)][0]
            if path == "/healthz":
                self.assertEqual(response.json()["status"], "ok")
            elif path == "/nope":
                self.assertEqual(response.json()["error"]["code"], "not_found")
            else:
                self.assertRegex(response.body.decode(), r"^\d{4}-\d\d-\d\dT")

    def test_pipelined_requests_are_answered_in_order(self):
        self.pipeline(20)

    def test_pipelined_burst_far_beyond_max_pipelined_is_answered_in_order(self):
        self.pipeline(MAX_PIPELINED * 25)


class TimeoutTest(ServerTestCase):
    OVERRIDES = TIMEOUT_LIMITED

    def test_partial_request_head_gets_408_within_header_timeout(self):
        with connect(self.port) as sock:
            started = time.monotonic()
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")  # no blank line: never ends
            data = recv_until_close(sock, timeout=HEADER_TIMEOUT_MS / 1000 + SLACK_S)
            elapsed = time.monotonic() - started
        (response,) = parse_responses(data)
        self.assertJsonError(response, 408, "http.request_timeout")
        self.assertGreaterEqual(elapsed, HEADER_TIMEOUT_MS / 1000 * 0.8)

    def test_trickled_request_head_does_not_extend_header_timeout(self):
        # Slowloris: one byte at a time keeps the socket busy but must not keep it open.
        head = b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"z" * 200
        with connect(self.port) as sock:
            started = time.monotonic()
            for i in range(len(head)):
                try:
                    sock.sendall(head[i:i + 1])
                except (BrokenPipeError, ConnectionResetError):
                    break
                sock.settimeout(0.05)  # the test is about time passing: pace the bytes
                try:
                    if sock.recv(65536, socket.MSG_PEEK):
                        break
                except socket.timeout:
                    pass
                if time.monotonic() - started > HEADER_TIMEOUT_MS / 1000 + SLACK_S:
                    break
            data = recv_until_close(sock, timeout=SLACK_S)
            closed_at = time.monotonic() - started
        self.assertLess(closed_at, HEADER_TIMEOUT_MS / 1000 + SLACK_S)
        self.assertEqual(parse_responses(data)[0].status, 408)

    def test_silent_new_connection_is_closed_after_header_timeout(self):
        with connect(self.port) as sock:
            started = time.monotonic()
            recv_until_close(sock, timeout=HEADER_TIMEOUT_MS / 1000 + SLACK_S)
            self.assertGreaterEqual(time.monotonic() - started, HEADER_TIMEOUT_MS / 1000 * 0.8)

    def test_idle_keep_alive_connection_is_closed_after_idle_timeout(self):
        with connect(self.port) as sock:
            sock.sendall(get("/healthz"))
            reader = ResponseReader(sock)
            self.assertEqual(reader.read_response().status, 200)
            idle_since = time.monotonic()
            rest = recv_until_close(sock, timeout=IDLE_TIMEOUT_MS / 1000 + SLACK_S)
            idle = time.monotonic() - idle_since
        self.assertEqual(rest, b"", "an idle close sends nothing")
        self.assertGreaterEqual(idle, IDLE_TIMEOUT_MS / 1000 * 0.8)


# ---- connection limits ------------------------------------------------------------------------


class ConnectionLimitTest(ServerTestCase):
    PER_IP = 3
    OVERRIDES = {"http": {"limits": {"max_connections_per_ip": PER_IP}}}

    def open_served_connection(self):
        """A keep-alive connection that got a 200. Retries while the server has not yet
        noticed that an earlier connection (the harness's health check, say) closed."""

        def attempt():
            sock = connect(self.port)
            reader = ResponseReader(sock)
            try:
                sock.sendall(get("/healthz"))
                if reader.read_response().status == 200:
                    return sock, reader
            except (OSError, EOFError):
                pass
            sock.close()
            return None

        return wait_until(attempt, timeout=5, message="no connection slot became free")

    def test_connection_over_per_ip_limit_gets_503_and_is_closed(self):
        open_ = [self.open_served_connection() for _ in range(self.PER_IP)]
        try:
            with connect(self.port) as extra:
                extra.sendall(get("/healthz"))
                data = recv_until_close(extra)
            (refused,) = parse_responses(data)
            self.assertJsonError(refused, 503, "http.too_many_connections")
            self.assertEqual(refused.header("Connection"), "close")

            # The admitted connections are unaffected.
            for sock, reader in open_:
                sock.sendall(get("/time"))
                self.assertEqual(reader.read_response().status, 200)
            sock, reader = open_[0]
            sock.sendall(get("/metrics"))
            text = reader.read_response().body.decode()
            self.assertGreaterEqual(
                metric_value(text, 'tidecast_api_http_connections_rejected_total{limit="per_ip"}'),
                1)

            # Closing one frees its slot for a newcomer.
            closing, _ = open_.pop()
            closing.close()
            open_.append(self.open_served_connection())
        finally:
            for sock, _ in open_:
                sock.close()


# ---- signals: graceful shutdown and reload ------------------------------------------------------


class GracefulShutdownTest(unittest.TestCase):
    SHUTDOWN_TIMEOUT_MS = 1500

    def start_server(self):
        server = Tidecast({"server": {"shutdown_timeout_ms": self.SHUTDOWN_TIMEOUT_MS}}).start()
        self.addCleanup(server.cleanup)
        return server

    def idle_keepalive(self, server):
        sock = server.connect()
        self.addCleanup(sock.close)
        sock.sendall(get("/healthz"))
        reader = ResponseReader(sock)
        self.assertEqual(reader.read_response().status, 200)
        return sock, reader

    def assert_stops_cleanly(self, sig):
        server = self.start_server()
        sock, reader = self.idle_keepalive(server)
        started = time.monotonic()
        server.send_signal(sig)
        self.assertTrue(reader.closed_by_peer(timeout=5), "idle connection not closed on stop")
        sock.close()  # a polite client answers the server's FIN
        code = server.wait_exit(timeout=self.SHUTDOWN_TIMEOUT_MS / 1000 + SLACK_S)
        self.assertEqual(code, 0, server.log_text())
        self.assertLess(time.monotonic() - started, self.SHUTDOWN_TIMEOUT_MS / 1000 + SLACK_S)
        log = server.log_text()
        self.assertIn(f"server.stopping signal={int(sig)}", log)
        self.assertIn("server.stopped", log)

    def test_sigterm_with_idle_keep_alive_connection_exits_0(self):
        self.assert_stops_cleanly(signal.SIGTERM)

    def test_sigint_exits_0(self):
        self.assert_stops_cleanly(signal.SIGINT)

    def test_sigterm_exits_0_even_if_client_never_closes(self):
        server = self.start_server()
        self.idle_keepalive(server)  # kept open, never answers the server's FIN
        started = time.monotonic()
        code = server.stop(signal.SIGTERM, timeout=self.SHUTDOWN_TIMEOUT_MS / 1000 + SLACK_S + 1)
        self.assertEqual(code, 0)
        self.assertLess(time.monotonic() - started, self.SHUTDOWN_TIMEOUT_MS / 1000 + SLACK_S)

    def test_sigterm_refuses_new_connections_once_stopping(self):
        server = self.start_server()
        self.idle_keepalive(server)  # keeps the process draining for a while
        mark = server.log_size()
        server.send_signal(signal.SIGTERM)
        server.wait_for_log(r"server\.stopping", since=mark)

        def refused():
            try:
                with connect(server.port, timeout=1) as sock:
                    sock.sendall(get("/healthz"))
                    return recv_until_close(sock, timeout=1) == b""
            except (ConnectionRefusedError, ConnectionResetError):
                return True
            except socket.timeout:
                return False

        wait_until(refused, timeout=3, message="listener still accepting after SIGTERM")
        self.assertEqual(server.wait_exit(self.SHUTDOWN_TIMEOUT_MS / 1000 + SLACK_S + 1), 0)


class ConfigReloadTest(unittest.TestCase):

    def setUp(self):
        self.server = Tidecast({"http": {"limits": {"max_body_bytes": BODY_LIMIT}}}).start()
        self.addCleanup(self.server.cleanup)

    def reload(self, overrides=None, text=None, expect=r"config\.reloaded"):
        mark = self.server.log_size()
        self.server.write_config(overrides, text=text)
        self.server.send_signal(signal.SIGHUP)
        return self.server.wait_for_log(expect, since=mark)

    def post_status(self, size, sock_reader=None):
        if sock_reader is None:
            with connect(self.server.port) as sock:
                sock.sendall(post("/healthz", b"b" * size))
                return ResponseReader(sock).read_response().status
        sock, reader = sock_reader
        sock.sendall(post("/healthz", b"b" * size))
        return reader.read_response().status

    def test_sighup_applies_new_body_limit(self):
        self.assertEqual(self.post_status(500), 405)  # under the limit: routed
        self.reload({"http": {"limits": {"max_body_bytes": 100}}})
        self.assertEqual(self.post_status(500), 413)
        self.assertEqual(self.post_status(50), 405)
        self.assertEqual(self.server.stop(), 0)

    def test_sighup_applies_new_body_limit_to_open_keep_alive_connection(self):
        with connect(self.server.port) as sock:
            pair = (sock, ResponseReader(sock))
            self.assertEqual(self.post_status(500, pair), 405)
            self.reload({"http": {"limits": {"max_body_bytes": 100}}})
            self.assertEqual(self.post_status(500, pair), 413)

    def test_sighup_with_bad_config_keeps_running_and_logs_failure(self):
        match = self.reload(text="http:\n  limits:\n    max_body_bytes: -5\n",
                            expect=r"config\.reload_failed[^\n]*")
        self.assertIn("max_body_bytes", match.group(0))
        self.assertTrue(self.server.alive())
        self.assertEqual(self.server.get("/healthz")[0], 200)
        self.assertEqual(self.post_status(500), 405)  # the old limit still applies
        self.assertEqual(self.server.stop(), 0)

    def test_sighup_port_change_logs_needs_restart_and_keeps_serving(self):
        old_port = self.server.port
        self.reload({"http": {"port": free_port()}},
                    expect=r"config\.reload_needs_restart key=http\.port")
        self.server.wait_for_log(r"config\.reloaded")
        self.assertEqual(self.server.get("/healthz")[0], 200)
        self.assertEqual(self.server.port, old_port)

    def test_sighup_changes_cors_origin(self):
        self.assertEqual(self.server.get("/healthz")[1].get("access-control-allow-origin"), "*")
        self.reload({"http": {"cors_allow_origin": "https://app.example.test"}})
        self.assertEqual(self.server.get("/healthz")[1].get("access-control-allow-origin"),
                         "https://app.example.test")
        self.reload({"http": {"cors_allow_origin": ""}})
        self.assertNotIn("access-control-allow-origin", self.server.get("/healthz")[1])

    def test_sighup_changes_log_level(self):
        self.assertEqual(self.server.get("/healthz")[0], 200)
        self.server.wait_for_log(r" debug http\.close ")  # debug lines are written at first
        self.reload({"log": {"level": "info"}})
        mark = self.server.log_size()
        self.assertEqual(self.server.get("/healthz")[0], 200)
        self.assertEqual(self.server.stop(), 0)
        with open(self.server.log_path, "rb") as f:
            f.seek(mark)
            tail = f.read().decode()
        self.assertIn("server.stopped", tail)
        self.assertNotIn(" debug ", tail)


# ---- command line ---------------------------------------------------------------------------


class CommandLineTest(unittest.TestCase):

    def run_binary(self, *args, timeout=10):
        return subprocess.run([TIDECAST_BIN, *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def write_temp(self, text):
        tmp = tempfile.mkdtemp(prefix="tidecast-cli-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "bad.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_version_prints_name_and_version_and_exits_0(self):
        out = self.run_binary("--version")
        self.assertEqual(out.returncode, 0)
        self.assertRegex(out.stdout, r"^tidecast \d+\.\d+\.\d+\S*\n$")

    def test_help_prints_usage_and_exits_0(self):
        out = self.run_binary("--help")
        self.assertEqual(out.returncode, 0)
        self.assertIn("Usage: tidecast", out.stdout)
        self.assertIn("--check-config", out.stdout)

    def test_unknown_flag_exits_2_with_usage_on_stderr(self):
        out = self.run_binary("--no-such-flag")
        self.assertEqual(out.returncode, 2)
        self.assertIn("Usage: tidecast", out.stderr)
        self.assertEqual(out.stdout, "")

    def test_missing_flag_value_exits_2(self):
        self.assertEqual(self.run_binary("--config").returncode, 2)

    def test_check_config_accepts_the_shipped_config(self):
        path = os.path.join(SOURCE_DIR, "conf", "tidecast.yaml")
        out = self.run_binary("--check-config", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ok", out.stdout)

    def test_check_config_names_file_line_column_of_unknown_key(self):
        path = self.write_temp("data_dir: data\nhttp:\n  listen: 127.0.0.1\n  prot: 8080\n")
        out = self.run_binary("--check-config", path)
        self.assertEqual(out.returncode, 1)
        self.assertIn(f"{path}:4:3: unknown key 'http.prot'", out.stderr)

    def test_check_config_reports_missing_file(self):
        out = self.run_binary("--check-config", "/nonexistent/tidecast.yaml")
        self.assertEqual(out.returncode, 1)
        self.assertIn("/nonexistent/tidecast.yaml", out.stderr)

    def test_start_with_bad_config_exits_1_naming_the_problem(self):
        path = self.write_temp("http:\n  port: 99999\n")
        out = self.run_binary("--config", path)
        self.assertEqual(out.returncode, 1)
        self.assertRegex(out.stderr, re.escape(path) + r":2:\d+: http\.port")

    def test_port_already_in_use_exits_1_with_clear_log_line(self):
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            port = blocker.getsockname()[1]
            server = Tidecast({"http": {"port": port}})
            self.addCleanup(server.cleanup)
            server.start(wait_ready=False)
            self.assertEqual(server.wait_exit(timeout=10), 1)
        log = server.log_text()
        self.assertRegex(log, r"server\.start_failed .*address already in use")
        self.assertIn(f"127.0.0.1:{port}", log)


if __name__ == "__main__":
    unittest.main()
