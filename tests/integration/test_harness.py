"""The harness's own contract on how a server ends: a SIGTERM stop must exit 0, a sanitizer
report fails the test whatever the exit code, and a server that dies on its own is noticed.
A small stand-in binary plays the server (no tidecast needed)."""

import os
import stat
import sys
import tempfile
import textwrap
import unittest

from harness import Tidecast, wait_until

# Answers /healthz on the config's http.port; on SIGTERM prints --say on stderr and exits with
# --code. --die exits at once.
FAKE_SERVER = textwrap.dedent("""\
    import argparse, http.server, re, signal, sys, threading
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    parser.add_argument("--code", type=int, default=0)
    parser.add_argument("--say", default="")
    parser.add_argument("--die", type=int)
    args = parser.parse_args()
    if args.die is not None:
        sys.exit(args.die)
    def on_term(*_):
        if args.say:
            sys.stderr.write(args.say + "\\n")
        sys.stderr.flush()
        sys.exit(args.code)
    signal.signal(signal.SIGTERM, on_term)
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b'{"status": "ok"}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def log_message(self, *_):
            pass
    config = open(args.config, encoding="utf-8").read()
    port = int(re.search(r"^http:\\n(?:  .*\\n)*?  port: (\\d+)", config, re.M).group(1))
    server = http.server.HTTPServer(("127.0.0.1", port), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        signal.pause()
""")

TSAN_REPORT = ("==================\nWARNING: ThreadSanitizer: data race (pid=1)\n"
               "SUMMARY: ThreadSanitizer: data race x.cpp:1 in f")


class HarnessExitChecksTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="tidecast-harness-")
        cls.binary = os.path.join(cls.dir.name, "fake-tidecast")
        with open(cls.binary, "w", encoding="utf-8") as f:
            f.write(f"#!{sys.executable}\n{FAKE_SERVER}")
        os.chmod(cls.binary, stat.S_IRWXU)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def started(self, *args):
        server = Tidecast(binary=self.binary, args=args)
        self.addCleanup(server.cleanup, check=False)
        server.start(wait_ready="--die" not in args)
        if "--die" in args:
            wait_until(lambda: not server.alive())
        return server

    def test_clean_stop_returns_0(self):
        self.assertEqual(self.started().stop(), 0)

    def test_non_zero_exit_after_sigterm_fails(self):
        server = self.started("--code", "66")
        with self.assertRaisesRegex(AssertionError, "exited with 66 after SIGTERM"):
            server.stop()

    def test_sanitizer_report_fails_even_with_exit_0(self):
        server = self.started("--say", TSAN_REPORT)
        with self.assertRaisesRegex(AssertionError, "sanitizer report"):
            server.stop()

    def test_server_that_died_unnoticed_fails_at_cleanup(self):
        server = self.started("--die", "3")
        with self.assertRaisesRegex(AssertionError, "exited on its own with 3"):
            server.cleanup()

    def test_exit_code_the_test_collected_is_the_tests_business(self):
        server = self.started("--die", "1")
        self.assertEqual(server.wait_exit(), 1)
        server.cleanup()

    def test_leaving_a_with_block_checks_the_exit(self):
        with self.assertRaisesRegex(AssertionError, "exited with 1 after SIGTERM"):
            with Tidecast(binary=self.binary, args=("--code", "1")):
                pass


if __name__ == "__main__":
    unittest.main()
