"""A minimal RTMP client for tests that need to misbehave on purpose (stop reading, send
garbage after a valid start). Real clients (ffmpeg, rtmpdump) cover normal behaviour.

Standard library only: simple handshake, fmt-0/fmt-3 chunking, just enough AMF0.
"""

import os
import socket
import struct

from harness import LOCALHOST


def amf_string(text):
    data = text.encode()
    return b"\x02" + struct.pack(">H", len(data)) + data


def amf_number(value):
    return b"\x00" + struct.pack(">d", value)


def amf_null():
    return b"\x05"


def amf_object(pairs):
    out = b"\x03"
    for key, value in pairs:
        k = key.encode()
        out += struct.pack(">H", len(k)) + k + value
    return out + b"\x00\x00\x09"


def chunk_message(csid, type_id, stream_id, payload, timestamp=0, chunk_size=128):
    """fmt 0 for the first chunk, fmt 3 for the rest (csid < 64)."""
    header = bytes([csid]) + struct.pack(">I", timestamp)[1:] + struct.pack(">I", len(payload))[1:]
    header += bytes([type_id]) + struct.pack("<I", stream_id)
    out = header + payload[:chunk_size]
    for start in range(chunk_size, len(payload), chunk_size):
        out += bytes([0xC0 | csid]) + payload[start:start + chunk_size]
    return out


class RtmpClient:
    def __init__(self, port, receive_buffer=None, timeout=5.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect((LOCALHOST, port))

    def handshake(self):
        c1 = b"\x00" * 8 + os.urandom(1528)
        self.sock.sendall(b"\x03" + c1)
        s = self._read_exact(1 + 1536 + 1536)
        assert s[0] == 3, "server answered another RTMP version"
        self.sock.sendall(s[1:1537])  # C2 echoes S1

    def _read_exact(self, n):
        data = b""
        while len(data) < n:
            part = self.sock.recv(n - len(data))
            if not part:
                raise ConnectionError("closed during handshake")
            data += part
        return data

    def command(self, name, txid, *args, stream_id=0, command_object=None):
        payload = amf_string(name) + amf_number(txid)
        payload += command_object if command_object is not None else amf_null()
        for arg in args:
            payload += arg
        self.sock.sendall(chunk_message(3 if stream_id == 0 else 8, 20, stream_id, payload))

    def connect(self, app="live"):
        self.command("connect", 1, command_object=amf_object([
            ("app", amf_string(app)), ("tcUrl", amf_string(f"rtmp://127.0.0.1/{app}")),
            ("flashVer", amf_string("LNX 9,0,124,2"))]))

    def play(self, key):
        self.command("createStream", 2)
        self.command("play", 3, amf_string(key), stream_id=1)

    def send_raw(self, data):
        self.sock.sendall(data)

    def read_some(self, limit=65536):
        return self.sock.recv(limit)

    def close(self):
        self.sock.close()
