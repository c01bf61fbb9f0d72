"""HTTPS, WSS and RTMPS with the real binary. The test makes its own CA and server
certificates with the openssl CLI; clients verify against that CA: curl and Python over
HTTPS (keep-alive included), ffmpeg publishing over RTMPS, ffprobe playing back over RTMP,
HTTPS HTTP-FLV and LL-HLS, npm ws over WSS, openssl s_client seeing a reloaded certificate
after SIGHUP. A plain-HTTP request on the TLS port is closed without an answer."""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import unittest

from harness import LOCALHOST, ProcessTestCase, Tidecast, metric_value, recv_until_close, wait_until

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "browser")
WS_CLIENT = os.path.join(BROWSER_DIR, "ws_client.mjs")
NODE = shutil.which("node")
HAVE_WS = bool(NODE) and os.path.isdir(os.path.join(BROWSER_DIR, "node_modules", "ws"))


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_pki(directory):
    """ca.pem/ca.key, and two server certificates for 127.0.0.1 signed by it: server1.* (serial
    0x1001) and server2.* (serial 0x1002)."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=tidecast test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    with open(os.path.join(directory, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    for n in (1, 2):
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", f"server{n}.key", "-out", f"server{n}.csr",
                "-subj", f"/CN=tidecast test server {n}", cwd=directory)
        openssl("x509", "-req", "-in", f"server{n}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-set_serial", f"0x100{n}", "-days", "2", "-extfile", "san.ext",
                "-out", f"server{n}.pem", cwd=directory)


class TlsTest(ProcessTestCase):

    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="tidecast-tls-pki-")
        make_pki(cls.pki)
        cls.ca = os.path.join(cls.pki, "ca.pem")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.pki, ignore_errors=True)

    def setUp(self):
        # The configured files are copies, so a test can replace them before a SIGHUP.
        self.cert = os.path.join(self.pki, f"live-{self.id()}.pem")
        self.key = os.path.join(self.pki, f"live-{self.id()}.key")
        self.install_certificate(1)
        tls = {"enabled": True, "listen": LOCALHOST, "cert_file": self.cert, "key_file": self.key}
        self.server = Tidecast({"https": tls, "rtmps": dict(tls), "rtmp": {"listen": LOCALHOST}},
                               port_keys=["https.port", "rtmp.port", "rtmps.port"])
        self.server.start()
        self.addCleanup(self.server.cleanup)
        # Cleanups run last-in first-out: clients spawned later are stopped before the server.
        self.addCleanup(lambda: self.server.alive() and self.server.stop())

    def install_certificate(self, n):
        shutil.copyfile(os.path.join(self.pki, f"server{n}.pem"), self.cert)
        shutil.copyfile(os.path.join(self.pki, f"server{n}.key"), self.key)

    @property
    def https_port(self):
        return self.server.ports["https.port"]

    def https_url(self, path):
        return f"https://{LOCALHOST}:{self.https_port}{path}"

    def client_context(self):
        context = ssl.create_default_context(cafile=self.ca)
        context.set_alpn_protocols(["http/1.1"])
        return context

    def metric(self, series):
        return metric_value(self.server.get("/metrics")[2].decode(), series) or 0

    def served_serial(self):
        """The serial of the certificate a new connection to the HTTPS port gets."""
        out = subprocess.run(["openssl", "s_client", "-connect", f"{LOCALHOST}:{self.https_port}",
                              "-CAfile", self.ca, "-verify_return_error", "-servername", "localhost"],
                             input=b"", capture_output=True, timeout=20)
        self.assertIn(b"Verify return code: 0 (ok)", out.stdout, out.stdout[-2000:])
        pem = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out.stdout,
                        re.S).group(0)
        text = subprocess.run(["openssl", "x509", "-noout", "-serial"], input=pem,
                              capture_output=True, check=True, timeout=10).stdout.decode()
        return text.strip().split("=")[1]


    # ---- HTTPS ---------------------------------------------------------------------------

    def test_curl_gets_healthz_over_https_verified_by_the_test_ca(self):
        out = subprocess.run(["curl", "-sS", "-v", "--cacert", self.ca, self.https_url("/healthz"),
                              self.https_url("/healthz")],
                             capture_output=True, text=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count('"status":"ok"'), 2, out.stdout)
        self.assertIn("ALPN: server accepted http/1.1", out.stderr)
        self.assertRegex(out.stderr, r"[Rr]e-using existing connection")
        self.assertEqual(self.metric('tidecast_core_tls_handshakes_total{listener="https",result="ok"}'), 1)

    def test_keep_alive_requests_share_one_tls_connection(self):
        connection = http.client.HTTPSConnection(LOCALHOST, self.https_port, timeout=5,
                                                 context=self.client_context())
        try:
            for _ in range(20):
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                self.assertEqual(response.status, 200)
                self.assertEqual(json.loads(response.read())["status"], "ok")
            self.assertEqual(connection.sock.version(), "TLSv1.3")
            self.assertEqual(connection.sock.selected_alpn_protocol(), "http/1.1")
        finally:
            connection.close()
        self.assertEqual(self.metric('tidecast_core_tls_handshakes_total{listener="https",result="ok"}'), 1)

    def test_tls_1_1_is_refused(self):
        # SECLEVEL=0 lets this client offer TLS 1.1 at all; the server must still refuse it.
        out = subprocess.run(["openssl", "s_client", "-connect", f"{LOCALHOST}:{self.https_port}",
                              "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                             input=b"", capture_output=True, timeout=20)
        self.assertNotEqual(out.returncode, 0, out.stdout[-2000:])
        wait_until(lambda: self.metric(
            'tidecast_core_tls_handshakes_total{listener="https",result="failed"}') == 1, 5)
        self.assertIn("unsupported protocol", self.server.log_text())

    def test_plain_http_on_the_tls_port_is_closed_without_an_answer(self):
        with socket.create_connection((LOCALHOST, self.https_port), timeout=5) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = recv_until_close(sock)
        self.assertNotIn(b"HTTP/1.1", answer)
        wait_until(lambda: self.metric(
            'tidecast_core_tls_handshakes_total{listener="https",result="failed"}') == 1, 5)
        self.assertIn("tls.handshake_failed listener=https", self.server.log_text())
        self.assertEqual(self.server.get("/healthz")[0], 200, "the server goes on")

    def test_silent_client_is_dropped_after_the_handshake_timeout(self):
        self.server.stop()
        self.server.overrides["https"]["handshake_timeout_ms"] = 300
        self.server.start()
        with socket.create_connection((LOCALHOST, self.https_port), timeout=5) as sock:
            self.assertEqual(recv_until_close(sock, timeout=3), b"")
        self.assertIn('reason="handshake timeout"', self.server.log_text())

    # ---- RTMPS ---------------------------------------------------------------------------

    def test_ffmpeg_publishes_over_rtmps_and_plays_back_over_rtmp_https_flv_and_ll_hls(self):
        url = f"rtmps://{LOCALHOST}:{self.server.ports['rtmps.port']}/live/tls"
        publisher = self.spawn([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "20",
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "30",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
            "-f", "flv", "-ca_file", self.ca, "-tls_verify", "1", url])
        wait_until(lambda: self.metric("tidecast_core_live_streams") == 1 or publisher.poll() is not None,
                   20, message="stream live over RTMPS")
        if publisher.poll() is not None:
            self.fail(f"ffmpeg exited: {publisher.stderr.read()}")
        self.assertGreaterEqual(
            self.metric('tidecast_core_tls_handshakes_total{listener="rtmps",result="ok"}'), 1)
        sources = {
            "rtmp": f"rtmp://{LOCALHOST}:{self.server.ports['rtmp.port']}/live/tls",
            "https-flv": self.https_url("/live/tls.flv"),
            "https-ll-hls": self.https_url("/live/tls/index.m3u8"),
        }
        for name, source in sources.items():
            tls = ["-ca_file", self.ca, "-tls_verify", "1"] if source.startswith("https") else []
            out = subprocess.run(
                ["ffprobe", "-v", "error", *tls, "-show_entries", "stream=codec_name,width,height",
                 "-of", "json", source], capture_output=True, text=True, timeout=60)
            self.assertEqual(out.returncode, 0, f"{name}: {out.stderr}")
            streams = json.loads(out.stdout)["streams"]
            video = [s for s in streams if s["codec_name"] == "h264"]
            self.assertEqual(len(video), 1, f"{name}: {streams}")
            self.assertEqual((video[0]["width"], video[0]["height"]), (640, 360), name)
            self.assertIn("aac", [s["codec_name"] for s in streams], name)

    def test_https_flv_viewer_that_never_reads_is_dropped_by_the_backlog_limit(self):
        # The slow-viewer logic reads TcpStream::pendingBytes(); under TLS it must still grow
        # when the client stops reading (plaintext waiting + records unsent).
        self.server.stop()
        self.server.overrides["streams"] = {"player_max_backlog_bytes": 1 << 20,
                                            "player_max_backlog_ms": 2000}
        self.server.start()
        self.spawn([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-t", "30",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-g", "60",
            "-pix_fmt", "yuv420p", "-f", "flv",
            f"rtmp://{LOCALHOST}:{self.server.ports['rtmp.port']}/live/slow"])
        wait_until(lambda: self.metric("tidecast_core_live_streams") == 1, 20)
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        raw.connect((LOCALHOST, self.https_port))
        viewer = self.client_context().wrap_socket(raw, server_hostname=LOCALHOST)
        try:
            viewer.sendall(b"GET /live/slow.flv HTTP/1.1\r\nHost: x\r\n\r\n")
            wait_until(lambda: "flv.drop_slow_viewer" in self.server.log_text(), 30,
                       message="the HTTPS viewer that never reads is dropped")
        finally:
            viewer.close()
        self.assertEqual(self.server.get("/healthz")[0], 200)

    # ---- WSS -----------------------------------------------------------------------------

    @unittest.skipUnless(HAVE_WS, "node and tests/browser/node_modules/ws needed (scripts/setup)")
    def test_wss_echo_with_npm_ws_trusting_the_test_ca(self):
        actions = [{"send": "over tls ✓"}, {"wait": "message", "count": 1}, {"close": [1000, "done"]}]
        out = subprocess.run(
            [NODE, WS_CLIENT, "--url", f"wss://{LOCALHOST}:{self.https_port}/ws/echo",
             "--actions", json.dumps(actions), "--timeout-ms", "10000"],
            capture_output=True, text=True, timeout=30, cwd=BROWSER_DIR,
            env=dict(os.environ, NODE_EXTRA_CA_CERTS=self.ca))
        self.assertEqual(out.returncode, 0, out.stderr)
        report = json.loads(out.stdout.strip().splitlines()[-1])
        self.assertTrue(report["opened"], report)
        messages = [e["data"] for e in report["events"] if e["kind"] == "message"]
        self.assertEqual(messages, ["over tls ✓"])
        closes = [e for e in report["events"] if e["kind"] == "close"]
        self.assertEqual(closes[0]["code"], 1000, report)

    # ---- reload --------------------------------------------------------------------------

    def test_sighup_serves_a_new_certificate_to_new_connections_and_keeps_old_ones(self):
        self.assertEqual(self.served_serial(), "1001")
        old = http.client.HTTPSConnection(LOCALHOST, self.https_port, timeout=5,
                                          context=self.client_context())
        old.request("GET", "/healthz")
        self.assertEqual(old.getresponse().read()[:1], b"{")

        self.install_certificate(2)
        self.server.send_signal(signal.SIGHUP)
        wait_until(lambda: "tls.reloaded listener=https" in self.server.log_text(), 5)
        self.assertEqual(self.served_serial(), "1002")
        old.request("GET", "/healthz")  # the connection made before keeps its session
        self.assertEqual(old.getresponse().status, 200)
        old.close()

        # A broken file keeps the running certificate and says why.
        with open(self.cert, "w") as f:
            f.write("not a certificate\n")
        self.server.send_signal(signal.SIGHUP)
        wait_until(lambda: "tls.reload_failed listener=https" in self.server.log_text(), 5)
        self.assertEqual(self.served_serial(), "1002")


if __name__ == "__main__":
    unittest.main()
