"""Integration-test fixture: start the real tidecast binary on free loopback ports.

Standard library only. Typical use:

    with Tidecast({"http": {"limits": {"max_body_bytes": 1024}}}) as server:
        status, headers, body = server.get("/healthz")

Environment (set by CTest, see tests/CMakeLists.txt):
  TIDECAST_BIN          the binary (default: build/release/server/tidecast under the source dir)
  TIDECAST_SOURCE_DIR   the repository root (default: two levels above this file)
  TIDECAST_KEEP_TMP=1   keep each server's temporary directory (config, logs) for inspection

Every wait here polls a condition against a deadline; nothing sleeps a fixed time to
synchronize.

A server must end cleanly: stopped with SIGTERM or SIGINT (stop(), cleanup(), leaving a
`with` block) it must exit 0, and whatever way it ends, a sanitizer report in its output
(ASan, LSan, UBSan, TSan builds) fails the test. A server that exits on its own before
the test collected its exit code (wait_exit) fails it too.
"""

import atexit
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("TIDECAST_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
TIDECAST_BIN = os.environ.get("TIDECAST_BIN") or os.path.join(
    SOURCE_DIR, "build", "release", "server", "tidecast")

LOCALHOST = "127.0.0.1"

# ---- waiting ----------------------------------------------------------------------------


def wait_until(predicate, timeout=5.0, interval=0.02, message=None):
    """Calls predicate() until it returns something truthy and returns that value.

    Raises AssertionError (so unittest reports a failure, not an error) at the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(message or f"condition not met within {timeout:.1f} s")
        time.sleep(interval)


# ---- skips ------------------------------------------------------------------------------
# Under run_unittest.py (CTest) a skipped test fails the run: scripts/setup installs every tool
# the tests use, so a missing one is a broken setup, not a pass. A test that may legitimately
# skip says so, and why, with @optional.

_OPTIONAL_ATTR = "__tidecast_optional__"


def optional(reason):
    """Declares a test method or class optional: its skips do not fail run_unittest.py.

    `reason` says why the test cannot always run (e.g. it needs root), shown beside the skip.
    """
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("optional() needs a reason")

    def mark(test):
        setattr(test, _OPTIONAL_ATTR, reason)
        return test

    return mark


def optional_reason(test):
    """The reason a test method or class was declared optional with, or None."""
    return getattr(test, _OPTIONAL_ATTR, None)


# ---- ports ------------------------------------------------------------------------------


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


def free_udp_port():
    """A UDP port on 127.0.0.1 that was free a moment ago (SRT listens on UDP)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((LOCALHOST, 0))
        return s.getsockname()[1]


# ---- YAML (written by hand: the config is a tree of mappings and scalars) ----------------


def deep_merge(base, overrides):
    """A new dict: `overrides` merged into `base`, recursively. A None value removes the key."""
    out = dict(base)
    for key, value in (overrides or {}).items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(str(value))


def to_yaml(mapping, indent=0):
    """Block-style YAML for nested dicts of scalars and lists (of scalars or flat mappings)."""
    lines = []
    pad = "  " * indent
    for key, value in mapping.items():
        if isinstance(value, dict):
            if value:
                lines.append(f"{pad}{key}:")
                lines.append(to_yaml(value, indent + 1))
            else:
                lines.append(f"{pad}{key}: {{}}")
        elif isinstance(value, (list, tuple)) and not value:
            lines.append(f"{pad}{key}: []")
        elif isinstance(value, (list, tuple)):
            lines.append(f"{pad}{key}:")
            # A mapping item in flow style: JSON is valid YAML.
            lines.extend(f"{pad}  - {json.dumps(item) if isinstance(item, dict) else _yaml_scalar(item)}"
                         for item in value)
        else:
            lines.append(f"{pad}{key}: {_yaml_scalar(value)}")
    return "\n".join(lines)


def _set_dotted(mapping, dotted, value):
    node = mapping
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _get_dotted(mapping, dotted):
    node = mapping
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


# ---- raw HTTP ---------------------------------------------------------------------------


class HttpResponse:
    """One parsed response: status, reason, version, headers (in order), body, raw bytes."""

    def __init__(self, version, status, reason, headers, body, raw):
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value), names as sent
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return default

    def has_header(self, name):
        return self.header(name) is not None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return f"<HttpResponse {self.status} {self.reason!r} body={self.body[:80]!r}>"


class ResponseReader:
    """Reads HTTP/1.x responses one after another from a socket (keep-alive, pipelining).

    Understands Content-Length, chunked bodies, bodiless responses (HEAD, 1xx, 204, 304) and
    bodies delimited by the connection closing.
    """

    def __init__(self, sock, timeout=5.0):
        self.sock = sock
        self.timeout = timeout
        self.buffer = b""
        self.eof = False

    def _fill(self, deadline):
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out waiting for response bytes")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def _take(self, n):
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _read_line(self, deadline):
        while b"\r\n" not in self.buffer:
            if not self._fill(deadline):
                raise EOFError("connection closed inside a line")
        index = self.buffer.index(b"\r\n")
        return self._take(index + 2)

    def _read_exact(self, n, deadline):
        while len(self.buffer) < n:
            if not self._fill(deadline):
                raise EOFError(f"connection closed with {len(self.buffer)} of {n} body bytes")
        return self._take(n)

    def read_response(self, head_request=False, skip_interim=True):
        """The next response. Raises EOFError if the connection closes before one starts."""
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\r\n\r\n" not in self.buffer:
                if not self._fill(deadline):
                    if self.buffer:
                        raise EOFError(f"connection closed inside a response head: "
                                       f"{self.buffer[:200]!r}")
                    raise EOFError("connection closed before a response")
            end = self.buffer.index(b"\r\n\r\n") + 4
            head = self._take(end)
            lines = head[:-4].decode("latin-1").split("\r\n")
            version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
            headers = []
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.append((name.strip(), value.strip()))
            status = int(status)
            response = HttpResponse(version, status, reason, headers, b"", head)
            if 100 <= status < 200 and skip_interim:
                continue
            break
        if head_request or status in (204, 304) or status < 200:
            return response
        te = (response.header("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            body = b""
            raw = b""
            while True:
                size_line = self._read_line(deadline)
                raw += size_line
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    while True:  # trailers up to the empty line
                        line = self._read_line(deadline)
                        raw += line
                        if line == b"\r\n":
                            break
                    break
                chunk = self._read_exact(size + 2, deadline)
                raw += chunk
                body += chunk[:-2]
            response.body, response.raw = body, head + raw
        elif response.has_header("Content-Length"):
            body = self._read_exact(int(response.header("Content-Length")), deadline)
            response.body, response.raw = body, head + body
        else:
            while self._fill(deadline):
                pass
            body = self._take(len(self.buffer))
            response.body, response.raw = body, head + body
        return response

    def closed_by_peer(self, timeout=None):
        """True once the peer has closed (EOF) with nothing more to read; False if bytes
        arrive instead or the timeout passes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if self.buffer:
            return False
        try:
            return not self._fill(deadline)
        except socket.timeout:
            return False


def connect(port, timeout=5.0):
    sock = socket.create_connection((LOCALHOST, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def recv_until_close(sock, timeout=5.0):
    """Every byte until the peer closes. Raises socket.timeout if it does not in time."""
    deadline = time.monotonic() + timeout
    data = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout(f"peer did not close within {timeout} s; got {data[:200]!r}")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return data
        if not chunk:
            return data
        data += chunk


def raw_request(port, data, read_until_close=True, timeout=5.0):
    """Sends `data` on a new connection and returns the answer's bytes: everything until the
    server closes (the default; socket.timeout if it does not), or else one response."""
    with connect(port, timeout) as sock:
        sock.sendall(data)
        if read_until_close:
            return recv_until_close(sock, timeout)
        return ResponseReader(sock, timeout).read_response().raw


def parse_responses(data, head_requests=()):
    """Every response in `data` (bytes of a whole connection), in order.

    `head_requests` holds the indexes of responses that answer HEAD requests (no body).
    """

    class _Bytes:
        def __init__(self, payload):
            self.payload = payload

        def settimeout(self, _):
            pass

        def recv(self, _):
            out, self.payload = self.payload, b""
            return out

    reader = ResponseReader(_Bytes(data), timeout=5.0)
    responses = []
    while True:
        try:
            responses.append(reader.read_response(head_request=len(responses) in head_requests))
        except EOFError:
            if reader.buffer:
                raise
            return responses


# ---- metrics ------------------------------------------------------------------------------


def metric_value(text, series):
    """The value of one Prometheus series ('name' or 'name{label="v"}'), or None."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        if name == series:
            return float(value)
    return None


def public_stream_name(name):
    """A stream name as metric labels and log lines show it (core/stream_name.h): the key
    replaced by "k-" + the first 12 hex digits of its SHA-256, app and rung kept.
    public_stream_name("live/test/480p") == "live/k-9f86d081884c/480p"""
    app, _, rest = name.partition("/")
    key, slash, rung = rest.partition("/")
    return f"{app}/k-{hashlib.sha256(key.encode()).hexdigest()[:12]}{slash}{rung}"


# ---- the server ---------------------------------------------------------------------------

_live_processes = set()


@atexit.register
def _kill_leftovers():
    for proc in list(_live_processes):
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class StartupError(RuntimeError):
    pass


# What the sanitizers print: ASan/LSan/TSan reports and UBSan's "runtime error" lines.
SANITIZER_REPORT = re.compile(
    r"^(==\d+==ERROR: \w+Sanitizer|WARNING: ThreadSanitizer|SUMMARY: \w+Sanitizer"
    r"|.*: runtime error: )", re.MULTILINE)
GRACEFUL_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Tidecast:
    """One tidecast process with its own temporary directory, config file and log file.

    overrides      dict merged into the generated config (None removes a key)
    port_keys      extra dotted config keys that each get a free port ("https.port", ...);
                   http.port and rtmp.port always get one (modules run in parallel)
                   read them back from self.ports
    """

    READY_TIMEOUT = 10.0

    def __init__(self, overrides=None, port_keys=(), binary=None, args=()):
        self.binary = binary or TIDECAST_BIN
        self.overrides = overrides or {}
        # Every server gets its own HTTP, RTMP and SRT ports: test modules run in parallel.
        always = ("http.port", "rtmp.port", "srt.port")
        self.port_keys = list(always) + [k for k in port_keys if k not in always]
        self.args = list(args)
        self.tmp = tempfile.mkdtemp(prefix="tidecast-it-")
        self.config_path = os.path.join(self.tmp, "tidecast.yaml")
        self.log_path = os.path.join(self.tmp, "stderr.log")
        self.stdout_path = os.path.join(self.tmp, "stdout.log")
        self.proc = None
        self.ports = {}
        self.config = {}
        self.returncode = None

    # -- config --

    def base_config(self):
        return {
            "data_dir": os.path.join(self.tmp, "data"),
            "log": {"level": "debug", "format": "text"},
            "http": {"listen": LOCALHOST},
            "rtmp": {"listen": LOCALHOST},
            "srt": {"listen": LOCALHOST},
        }

    def _pick_ports(self):
        for key in self.port_keys:
            fixed = _get_dotted(self.overrides, key)
            pick = free_udp_port if key.startswith("srt.") else free_port
            self.ports[key] = fixed if fixed is not None else pick()

    def build_config(self, overrides=None):
        config = deep_merge(self.base_config(), self.overrides)
        for key, port in self.ports.items():
            _set_dotted(config, key, port)
        return deep_merge(config, overrides)

    def write_config(self, overrides=None, text=None):
        """Rewrites the config file: the start config plus `overrides`, or `text` verbatim."""
        if text is None:
            self.config = self.build_config(overrides)
            text = to_yaml(self.config) + "\n"
        tmp_path = self.config_path + ".new"
        with open(tmp_path, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp_path, self.config_path)  # never a half-written file for a reload

    @property
    def port(self):
        return self.ports["http.port"]

    # -- process --

    def start(self, wait_ready=True):
        fixed_ports = all(_get_dotted(self.overrides, k) is not None for k in self.port_keys)
        attempts = 1 if fixed_ports else 2
        for attempt in range(attempts):
            self._pick_ports()
            self.write_config()
            self._spawn()
            if not wait_ready:
                return self
            try:
                self.wait_ready()
                return self
            except StartupError:
                exited = self.proc.poll() is not None
                collided = exited and "address already in use" in self.log_text()
                if attempt + 1 < attempts and collided:
                    continue  # someone took the free port between our check and the bind
                raise
        return self

    def _spawn(self):
        cmd = [self.binary, "--config", self.config_path] + self.args
        with open(self.log_path, "ab") as err, open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         cwd=self.tmp)
        _live_processes.add(self.proc)
        self.returncode = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _healthy(self):
        if not self.alive():
            self.returncode = self.proc.returncode  # reported here, not again by cleanup()
            raise StartupError(f"tidecast exited with {self.proc.returncode} during start-up:\n"
                               + self.log_text()[-4000:])
        try:
            status, _, body = self.request("GET", "/healthz", timeout=1.0)
        except (OSError, http.client.HTTPException):
            return False
        return status == 200 and json.loads(body).get("status") == "ok"

    def wait_ready(self, timeout=None):
        try:
            wait_until(self._healthy, timeout or self.READY_TIMEOUT, interval=0.02)
        except AssertionError:
            raise StartupError("tidecast did not answer /healthz in time:\n" +
                               self.log_text()[-4000:]) from None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def wait_exit(self, timeout=10.0, check=True):
        """The exit code; raises subprocess.TimeoutExpired if still running at the deadline.
        With `check`, fails (AssertionError) if the server printed a sanitizer report."""
        self.returncode = self.proc.wait(timeout=timeout)
        _live_processes.discard(self.proc)
        if check:
            self.check_no_sanitizer_report()
        return self.returncode

    def stop(self, sig=signal.SIGTERM, timeout=10.0, check=True):
        """Sends `sig` and returns the exit code. Kills the process (and fails) past timeout.

        With `check`, fails (AssertionError) when the server printed a sanitizer report, when
        a SIGTERM/SIGINT stop did not exit 0, or when it had already exited on its own with a
        code nobody collected."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                code = self.wait_exit(timeout, check=check)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"tidecast did not exit within {timeout} s of "
                                     f"{signal.Signals(sig).name}") from None
            if check and sig in GRACEFUL_SIGNALS and code != 0:
                raise AssertionError(f"tidecast exited with {code} after "
                                     f"{signal.Signals(sig).name}:\n{self.log_text()[-4000:]}")
            return code
        if check:
            self.check_not_exited_unexpectedly()
        return self.wait_exit(timeout, check=check)

    def check_no_sanitizer_report(self):
        """Fails (AssertionError) if the server's output holds a sanitizer report."""
        for name, text in (("stderr", self.log_text()), ("stdout", self.stdout_text())):
            found = SANITIZER_REPORT.search(text)
            if found:
                raise AssertionError(f"tidecast printed a sanitizer report on {name} "
                                     f"(exit code {self.proc.poll()}):\n"
                                     f"{text[max(0, found.start() - 200):found.start() + 6000]}")

    def check_not_exited_unexpectedly(self):
        """Fails (AssertionError) if the server exited before anyone asked it to or collected
        its exit code (wait_exit)."""
        if self.proc is None or self.returncode is not None:
            return
        code = self.proc.poll()
        if code is not None:
            self.returncode = code
            _live_processes.discard(self.proc)
            self.check_no_sanitizer_report()
            raise AssertionError(f"tidecast exited on its own with {code}:\n"
                                 f"{self.log_text()[-4000:]}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            _live_processes.discard(self.proc)

    def cleanup(self, check=True):
        """Stops the server if it still runs (see stop(); `check` as there) and removes its
        temporary directory."""
        try:
            if check and self.proc is not None:
                self.stop()
        finally:
            self.kill()
            if os.environ.get("TIDECAST_KEEP_TMP") == "1":
                sys.stderr.write(f"[harness] kept {self.tmp}\n")
            else:
                shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.cleanup(check=False)  # the start-up error says what went wrong
            raise

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.dump_log(f"{exc_type.__name__}: {exc}")
        # A failing test's own error comes first; the exit checks apply to passing ones.
        self.cleanup(check=exc_type is None)
        return False

    # -- logs --

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stdout_text(self):
        try:
            with open(self.stdout_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_size(self):
        """A mark for wait_for_log(since=...): only lines written after it count."""
        try:
            return os.path.getsize(self.log_path)
        except FileNotFoundError:
            return 0

    def wait_for_log(self, pattern, timeout=5.0, since=0):
        """The first regex match of `pattern` in the log after byte offset `since`."""
        regex = re.compile(pattern)

        def found():
            with open(self.log_path, "rb") as f:
                f.seek(since)
                return regex.search(f.read().decode("utf-8", "replace"))

        try:
            return wait_until(found, timeout)
        except AssertionError:
            raise AssertionError(f"log line /{pattern}/ not seen within {timeout} s; log:\n"
                                 + self.log_text()[-3000:]) from None

    def dump_log(self, why=""):
        sys.stderr.write(f"\n---- tidecast log ({why}) {self.log_path} ----\n"
                         f"{self.log_text()[-6000:]}\n---- end of log ----\n")

    # -- HTTP --

    def url(self, path="/"):
        return f"http://{LOCALHOST}:{self.port}{path}"

    def request(self, method, path, body=None, headers=None, timeout=5.0):
        """One request on its own connection: (status, headers as lowercase dict, body)."""
        conn = http.client.HTTPConnection(LOCALHOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def metrics(self):
        status, _, body = self.get("/metrics")
        if status != 200:
            raise AssertionError(f"/metrics answered {status}")
        return body.decode("utf-8")

    def connect(self, timeout=5.0):
        return connect(self.port, timeout)


# ---- client processes -------------------------------------------------------------------


def stop_process(proc):
    """Kills `proc` if it still runs (only processes a test started) and closes its pipes."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for pipe in (proc.stdout, proc.stderr):
        if pipe:
            pipe.close()


class ProcessTestCase(unittest.TestCase):
    """A test case that starts client processes (ffmpeg, node, rtmpdump) with spawn(); each is
    stopped when its test ends, pass or fail."""

    def spawn(self, cmd, **kwargs):
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, **kwargs)
        self.addCleanup(stop_process, proc)
        return proc
