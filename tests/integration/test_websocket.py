"""WebSocket (RFC 6455) end to end: the real binary, a real client (npm `ws`, driven by
tests/browser/ws_client.mjs) for the protocol as browsers speak it, and raw sockets for what
no well-behaved client sends (unmasked frames, a client that never reads).
"""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import time
import unittest

from harness import SOURCE_DIR, Tidecast, connect, metric_value, recv_until_close, wait_until

NODE = shutil.which("node")
BROWSER_DIR = os.path.join(SOURCE_DIR, "tests", "browser")
WS_CLIENT = os.path.join(BROWSER_DIR, "ws_client.mjs")
HAVE_WS = NODE is not None and os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "ws"))

MAX_FRAME = 64 * 1024
LIMITS = {
    "websocket": {
        "max_frame_bytes": MAX_FRAME,
        "max_message_bytes": 256 * 1024,
        "ping_interval_ms": 300,
        "idle_timeout_ms": 1500,
        "close_timeout_ms": 1000,
        "max_send_backlog_bytes": 256 * 1024,
    }
}
KEY = "dGhlIHNhbXBsZSBub25jZQ=="


# ---- a raw client ---------------------------------------------------------------------------


def handshake_request(path="/ws", version="13", key=KEY, extra=""):
    lines = [f"GET {path} HTTP/1.1", "Host: test", "Upgrade: websocket", "Connection: Upgrade"]
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def frame(payload, opcode=0x1, fin=True, mask=True, key=b"\x11\x22\x33\x44"):
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | opcode])
    bit = 0x80 if mask else 0
    n = len(payload)
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawClient:
    """A WebSocket client on a plain socket: handshake, frames out, server frames in."""

    def __init__(self, port, path="/ws", rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall(handshake_request(path))
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError("closed during the handshake")
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        self.head = head.decode("latin-1")
        if not self.head.startswith("HTTP/1.1 101 "):
            raise AssertionError(f"no 101: {self.head}")

    def send(self, data):
        self.sock.sendall(data)

    def read_frame(self, timeout=5.0):
        """(opcode, payload) of the next frame; None when the server closed the socket."""
        deadline = time.monotonic() + timeout
        while True:
            parsed = self._parse()
            if parsed:
                return parsed
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                chunk = b""
            if not chunk:
                return None
            self.buffer += chunk

    def _parse(self):
        b = self.buffer
        if len(b) < 2:
            return None
        assert b[1] & 0x80 == 0, "server frames are never masked"
        n, pos = b[1] & 0x7F, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, pos = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, pos = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < pos + n:
            return None
        self.buffer = b[pos + n:]
        return b[0] & 0x0F, b[pos:pos + n]

    def read_close(self, timeout=5.0):
        """The close code of the server's close frame (skipping pings), or None."""
        while True:
            got = self.read_frame(timeout)
            if got is None:
                return None
            opcode, payload = got
            if opcode == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005

    def closed_by_server(self, timeout=5.0):
        try:
            recv_until_close(self.sock, timeout)
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---- tests -----------------------------------------------------------------------------------


class WebSocketTestCase(unittest.TestCase):
    OVERRIDES = LIMITS

    @classmethod
    def setUpClass(cls):
        cls.server = Tidecast(cls.OVERRIDES)
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, f"tidecast exited with {code}"

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            self.server.dump_log(self.id())
        return out

    def ws(self, actions, path="/ws", auto_pong=True, timeout_ms=10000):
        """Runs ws_client.mjs and returns its JSON report."""
        cmd = [NODE, WS_CLIENT, "--url", f"ws://127.0.0.1:{self.server.port}{path}",
               "--actions", json.dumps(actions), "--timeout-ms", str(timeout_ms)]
        if not auto_pong:
            cmd.append("--no-auto-pong")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_ms / 1000 + 10,
                             cwd=BROWSER_DIR)
        self.assertEqual(out.returncode, 0, out.stderr)
        report = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertTrue(report["opened"], report)
        return report

    @staticmethod
    def events(report, kind):
        return [e for e in report["events"] if e["kind"] == kind]

    def http(self, data):
        with connect(self.server.port) as sock:
            sock.sendall(data)
            return recv_until_close(sock)


class HandshakeTest(WebSocketTestCase):

    def test_good_handshake_answers_101_with_the_accept_key(self):
        client = RawClient(self.server.port)
        self.assertIn("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", client.head + "\r\n")
        self.assertIn("Upgrade: websocket", client.head)
        self.assertNotIn("Connection: close", client.head)
        client.close()

    def test_unsupported_version_is_426_naming_version_13(self):
        answer = self.http(handshake_request(version="8")).decode("latin-1")
        self.assertTrue(answer.startswith("HTTP/1.1 426 "), answer)
        self.assertIn("Sec-WebSocket-Version: 13\r\n", answer)
        self.assertIn('"code":"ws.unsupported_version"', answer)

    def test_missing_key_is_400(self):
        answer = self.http(handshake_request(key=None)).decode("latin-1")
        self.assertTrue(answer.startswith("HTTP/1.1 400 "), answer)
        self.assertIn('"code":"ws.bad_handshake"', answer)

    def test_plain_get_is_426_upgrade_required(self):
        answer = self.http(b"GET /ws HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        self.assertTrue(answer.startswith(b"HTTP/1.1 426 "), answer)
        self.assertIn(b"Upgrade: websocket\r\n", answer)


@unittest.skipUnless(HAVE_WS, "node and tests/browser/node_modules/ws needed (scripts/setup)")
class WsClientTest(WebSocketTestCase):

    def test_envelope_echo_and_ping(self):
        report = self.ws([
            {"send": json.dumps({"type": "echo", "id": "e1", "data": {"text": "héllo ✓"}})},
            {"send": json.dumps({"type": "ping", "id": 2, "data": 99})},
            {"wait": "message", "count": 2},
            {"close": [1000, "done"]},
        ])
        replies = [json.loads(e["data"]) for e in self.events(report, "message")]
        self.assertEqual(replies[0], {"type": "echo", "id": "e1", "data": {"text": "héllo ✓"}})
        self.assertEqual(replies[1], {"type": "pong", "id": 2, "data": 99})
        self.assertEqual(self.events(report, "close")[0]["code"], 1000)

    def test_raw_echo_of_text_and_binary(self):
        blob = (bytes(range(256)) * 240)[:60000]  # every byte value; 16-bit length form
        report = self.ws([
            {"send": "plain text ✓"},
            {"sendBinary": base64.b64encode(blob).decode()},
            {"wait": "message", "count": 2},
        ], path="/ws/echo")
        messages = self.events(report, "message")
        self.assertEqual(messages[0], {**messages[0], "binary": False, "data": "plain text ✓"})
        self.assertTrue(messages[1]["binary"])
        self.assertEqual(base64.b64decode(messages[1]["data"]), blob)

    def test_fragmented_message_with_a_ping_between_fragments(self):
        report = self.ws([
            {"fragment": '{"type":"echo","id":"f","data":"', "fin": False},
            {"ping": "between"},
            {"wait": "pong"},
            {"fragment": "abc", "fin": False},
            {"fragment": 'def"}', "fin": True},
            {"wait": "message"},
        ])
        self.assertEqual(self.events(report, "pong")[0]["data"], "between")
        reply = json.loads(self.events(report, "message")[0]["data"])
        self.assertEqual(reply, {"type": "echo", "id": "f", "data": "abcdef"})
        # The pong came back before the message it interrupted was complete.
        pong_at = self.events(report, "pong")[0]["t"]
        self.assertLessEqual(pong_at, self.events(report, "message")[0]["t"])

    def test_server_pings_every_interval(self):
        report = self.ws([{"wait": "ping", "count": 3, "ms": 5000}])
        pings = self.events(report, "ping")
        self.assertGreaterEqual(len(pings), 3)
        gaps = [b["t"] - a["t"] for a, b in zip(pings, pings[1:])]
        self.assertTrue(all(150 <= g <= 1500 for g in gaps), gaps)

    def test_oversized_frame_is_closed_with_1009(self):
        report = self.ws([{"sendBinary": base64.b64encode(b"x" * (MAX_FRAME + 1)).decode()},
                          {"wait": "close"}], path="/ws/echo")
        self.assertEqual(self.events(report, "close")[0]["code"], 1009)

    def test_invalid_utf8_text_is_closed_with_1007(self):
        report = self.ws([{"sendRaw": base64.b64encode(b"ok \xc3\x28 bad").decode()},
                          {"wait": "close"}])
        self.assertEqual(self.events(report, "close")[0]["code"], 1007)

    def test_close_handshake_echoes_the_code(self):
        report = self.ws([{"close": [4001, "leaving"]}])
        close = self.events(report, "close")[0]
        self.assertEqual(close["code"], 4001)
        wait_until(lambda: metric_value(self.server.metrics(),
                                        'tidecast_api_websocket_closes_total{code="4000-4999"}'),
                   message="the close is counted (application codes by thousand)")

    def test_envelope_errors(self):
        report = self.ws([
            {"send": "{not json"},
            {"send": json.dumps({"type": "no.such.type", "id": 5})},
            {"send": json.dumps({"id": "x"})},
            {"sendBinary": base64.b64encode(b"{}").decode()},
            {"send": json.dumps({"type": "echo", "id": "still-open"})},
            {"wait": "message", "count": 5},
        ])
        replies = [json.loads(e["data"]) for e in self.events(report, "message")]
        codes = [(r["type"], r.get("id"), r["data"].get("code") if r["type"] == "error" else None)
                 for r in replies]
        self.assertEqual(codes, [("error", None, "ws.bad_json"),
                                 ("error", 5, "ws.unknown_type"),
                                 ("error", "x", "ws.bad_envelope"),
                                 ("error", None, "ws.binary"),
                                 ("echo", "still-open", None)])

    def test_idle_client_is_closed_with_1001(self):
        # No pongs and nothing sent: after idle_timeout_ms the server says goodbye.
        started = time.monotonic()
        report = self.ws([{"wait": "close", "ms": 8000}], auto_pong=False)
        close = self.events(report, "close")
        self.assertEqual(close[0]["code"], 1001, report)
        self.assertEqual(close[0]["reason"], "idle timeout")
        self.assertGreaterEqual(time.monotonic() - started, 1.4)

    def test_answering_pings_keeps_a_client_open(self):
        report = self.ws([{"sleep": 2500}, {"send": json.dumps({"type": "echo", "id": 1})},
                          {"wait": "message"}])
        self.assertEqual(self.events(report, "close"), [])
        self.assertEqual(json.loads(self.events(report, "message")[0]["data"])["id"], 1)


class RawFrameTest(WebSocketTestCase):

    def test_unmasked_frame_is_closed_with_1002(self):
        client = RawClient(self.server.port)
        client.send(frame('{"type":"echo"}', mask=False))
        self.assertEqual(client.read_close(), 1002)
        self.assertTrue(client.closed_by_server())
        client.close()

    def test_reserved_opcode_is_closed_with_1002(self):
        client = RawClient(self.server.port)
        client.send(frame("x", opcode=0x3))
        self.assertEqual(client.read_close(), 1002)
        client.close()

    def test_peer_that_never_answers_our_close_is_dropped(self):
        client = RawClient(self.server.port)
        client.send(frame(b"\x03\xe8", opcode=0x8))  # close 1000: echoed, then TCP ends
        self.assertEqual(client.read_close(), 1000)
        self.assertTrue(client.closed_by_server(timeout=3))
        client.close()

    def test_client_that_never_reads_is_dropped_without_memory_growth(self):
        pid = self.server.proc.pid
        before = rss_kib(pid)
        payload = "x" * 60000
        request = frame(json.dumps({"type": "echo", "data": payload}))
        clients = []
        for _ in range(4):
            client = RawClient(self.server.port, rcvbuf=4096)
            clients.append(client)
            # ~30 MB of echoes asked for; never read. The server drops each client once
            # 256 KiB of answers wait for it.
            sent = 0
            client.sock.settimeout(5)
            try:
                for _ in range(500):
                    client.send(request)
                    sent += len(request)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                pass
        wait_until(lambda: metric_value(self.server.metrics(),
                                        'tidecast_api_websocket_closes_total{code="1008"}') ==
                   len(clients), timeout=15,
                   message="each non-reading client is closed with 1008")
        growth = rss_kib(pid) - before
        # ~120 MB of echoes were asked for. Under ASan (make test-asan sets ASAN_OPTIONS) freed
        # memory sits in its quarantine, so the bound there only shows growth stays bounded.
        bound = (96 if "ASAN_OPTIONS" in os.environ else 24) * 1024
        self.assertLess(growth, bound, f"server RSS grew {growth} KiB")
        for client in clients:
            client.close()
        wait_until(lambda: metric_value(self.server.metrics(),
                                        "tidecast_api_websocket_connections") == 0, timeout=10)


class ConnectionLimitTest(WebSocketTestCase):
    OVERRIDES = {"websocket": {"max_connections": 2}}

    def test_connections_past_the_limit_get_503(self):
        a = RawClient(self.server.port)
        b = RawClient(self.server.port)
        wait_until(lambda: metric_value(self.server.metrics(),
                                        "tidecast_api_websocket_connections") == 2)
        answer = self.http(handshake_request())
        self.assertTrue(answer.startswith(b"HTTP/1.1 503 "), answer)
        self.assertIn(b"ws.too_many_connections", answer)
        a.close()
        b.close()


class ShutdownTest(unittest.TestCase):

    def test_sigterm_closes_websockets_with_1001_and_exits(self):
        with Tidecast() as server:
            client = RawClient(server.port)
            server.send_signal(15)
            self.assertEqual(client.read_close(), 1001)
            client.send(frame(b"\x03\xe9", opcode=0x8))
            self.assertTrue(client.closed_by_server())
            client.close()
            self.assertEqual(server.wait_exit(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
