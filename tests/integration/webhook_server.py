"""A webhook receiver for integration tests: a threaded HTTP server on 127.0.0.1 that records
every POST (path and JSON body) and answers each path as configured."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import LOCALHOST, wait_until


class WebhookServer:
    """answers: path -> (status, body text, delay seconds). Unlisted paths get 200, no body."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.requests = []  # (path, parsed JSON body)
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"unparsed": raw.decode("latin-1")}
                with owner.lock:
                    owner.requests.append((self.path, body))
                status, text, delay = owner.answers.get(self.path, (200, "", 0))
                if delay:
                    time.sleep(delay)
                data = text.encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((LOCALHOST, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path):
        return f"http://{LOCALHOST}:{self.server.server_address[1]}{path}"

    def received(self, path):
        with self.lock:
            return [body for p, body in self.requests if p == path]

    def wait_for(self, path, count=1, timeout=10.0):
        return wait_until(lambda: len(self.received(path)) >= count and self.received(path),
                          timeout, message=f"{count} request(s) to {path}")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
