"""A static file server for trying play.mjs without tidecast: serves a directory that ffmpeg's
hls or dash muxer is writing, on 127.0.0.1, with CORS, the media MIME types, no caching and a
`/time` clock (ISO 8601 UTC, for a DASH `UTCTiming` element).

Low-latency DASH: ffmpeg (`-ldash 1 -streaming 1`) writes a segment as NAME.tmp and renames it
to NAME when complete. A request for NAME that is still NAME.tmp (or not there yet, for a
bounded wait) is answered with chunked transfer, following the file as ffmpeg appends to it,
the way a low-latency origin serves the segment in progress.

    python3 static_server.py DIR [--port 0] [--no-cors]

Prints `listening on http://127.0.0.1:PORT/` once bound, then serves until killed.
Standard library only. Not used by the tests themselves.
"""

import argparse
import datetime
import functools
import http.server
import os
import sys
import time
import urllib.parse

MIME_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".m4v": "video/mp4",
    ".ts": "video/mp2t",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    protocol_version = "HTTP/1.1"
    cors = True

    def end_headers(self):
        if self.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Expose-Headers", "Date, Content-Length")
        self.send_header("Cache-Control", "no-cache, no-store")
        super().end_headers()

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):
        if self.path.split("?")[0] == "/time":
            now = datetime.datetime.now(datetime.timezone.utc)
            body = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        path = self.translate_path(self.path)
        if not os.path.exists(path) and self._wait_for(path):
            if not os.path.exists(path):
                self._stream_growing(path)
                return
        super().do_GET()

    # -- segments in progress --

    APPEAR_TIMEOUT = 3.0  # how long a request for a segment that is not there yet waits
    GROW_TIMEOUT = 10.0  # the longest a segment in progress is followed
    POLL = 0.005

    def _wait_for(self, path):
        """True once `path` or `path.tmp` exists (only segments are waited for)."""
        if not urllib.parse.urlsplit(self.path).path.endswith(".m4s"):
            return False
        deadline = time.monotonic() + self.APPEAR_TIMEOUT
        while time.monotonic() < deadline:
            if os.path.exists(path) or os.path.exists(path + ".tmp"):
                return True
            time.sleep(self.POLL)
        return False

    def _stream_growing(self, path):
        try:
            f = open(path + ".tmp", "rb")
        except FileNotFoundError:  # renamed in between: complete now
            return super().do_GET()
        with f:
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            deadline = time.monotonic() + self.GROW_TIMEOUT
            try:
                while time.monotonic() < deadline:
                    complete = os.path.exists(path)  # checked before reading: then EOF is the end
                    data = f.read(65536)
                    if data:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                        self.wfile.flush()
                    elif complete:
                        break
                    else:
                        time.sleep(self.POLL)
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the player went away mid-segment

    def log_message(self, fmt, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-cors", action="store_true",
                        help="send no Access-Control-* headers (a browser then refuses the media)")
    args = parser.parse_args()
    Handler.cors = not args.no_cors
    handler = functools.partial(Handler, directory=args.directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
