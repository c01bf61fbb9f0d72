"""Enhanced RTMP: an HEVC publisher (FourCC hvc1, as recent OBS sends it) lands in the same
packet model. Debian's ffmpeg 5.1 cannot publish Enhanced RTMP, so the test builds the tags
itself from an HEVC elementary stream that ffmpeg (libx265) encodes."""

import os
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import unittest

from harness import LOCALHOST, Tidecast, metric_value, public_stream_name, wait_until
from rtmp_client import RtmpClient, amf_number, amf_string, chunk_message

WIDTH, HEIGHT, FRAMES = 320, 240, 20


def hevc_nal_units(path):
    with open(path, "rb") as f:
        data = f.read()
    starts = [m.end() for m in re.finditer(b"\x00\x00\x01", data)]
    units = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        units.append(data[start:end].rstrip(b"\x00"))
    return units


def nal_type(unit):
    return (unit[0] >> 1) & 0x3F


def hvcc(vps, sps, pps):
    ptl = sps[3:15]  # after the 2-byte NAL header and one byte of SPS fields: profile_tier_level
    record = bytes([1]) + ptl + bytes([0xF0, 0x00, 0xFC, 0xFD, 0xF8, 0xF8, 0, 0, 0x0F, 3])
    for kind, unit in ((32, vps), (33, sps), (34, pps)):
        record += bytes([0x80 | kind]) + struct.pack(">HH", 1, len(unit)) + unit
    return record


def enhanced_video_tag(packet_type, payload, key):
    # IsExHeader | FrameType << 4 | PacketType, then the FourCC.
    return bytes([0x80 | ((1 if key else 2) << 4) | packet_type]) + b"hvc1" + payload


class EnhancedRtmpTest(unittest.TestCase):
    def test_hevc_publisher_is_relayed_with_codec_details(self):
        tmp = tempfile.mkdtemp(prefix="tidecast-ertmp-")
        self.addCleanup(shutil.rmtree, tmp, True)
        stream = os.path.join(tmp, "a.hevc")
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-f", "lavfi",
                        "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate=10", "-frames:v", str(FRAMES),
                        "-c:v", "libx265", "-x265-params", "log-level=error:keyint=100:bframes=0",
                        "-f", "hevc", stream], check=True, timeout=60)
        units = hevc_nal_units(stream)
        vps, sps, pps = (next(u for u in units if nal_type(u) == t) for t in (32, 33, 34))
        frames = [u for u in units if nal_type(u) < 32]
        self.assertEqual(len(frames), FRAMES)

        with Tidecast({}, port_keys=["rtmp.port"]) as server:
            client = RtmpClient(server.ports["rtmp.port"])
            client.handshake()
            client.connect()
            client.command("createStream", 2)
            client.command("publish", 3, amf_string("hevc"), amf_string("live"), stream_id=1)
            stream = public_stream_name("live/hevc")  # as log lines name it
            wait_until(lambda: f"stream.started stream={stream} " in server.log_text(), 10)
            # SequenceStart with the hvcC, then CodedFramesX (no composition time) per frame.
            client.send_raw(chunk_message(6, 9, 1, enhanced_video_tag(0, hvcc(vps, sps, pps), True)))
            for i, frame in enumerate(frames):
                tag = enhanced_video_tag(3, struct.pack(">I", len(frame)) + frame, i == 0)
                client.send_raw(chunk_message(6, 9, 1, tag, timestamp=i * 100))

            def info():
                text = server.get("/metrics")[2].decode()
                match = re.search(r'^tidecast_core_stream_info\{(.*)\} 1$', text, re.M)
                return dict(re.findall(r'(\w+)="([^"]*)"', match.group(1))) if match else {}

            wait_until(lambda: info().get("video_codec") == "hevc", 10)
            labels = info()
            self.assertEqual(labels["resolution"], f"{WIDTH}x{HEIGHT}")
            self.assertTrue(labels["video_codec_string"].startswith("hvc1.1."), labels)

            # A late HTTP-FLV viewer gets the configuration and the GOP, still Enhanced RTMP.
            with socket.create_connection((LOCALHOST, server.port), timeout=5) as viewer:
                viewer.sendall(b"GET /live/hevc.flv HTTP/1.1\r\nHost: x\r\n\r\n")
                received = b""
                while received.count(b"hvc1") < FRAMES + 1:
                    chunk = viewer.recv(65536)
                    if not chunk:
                        break
                    received += chunk
                self.assertGreaterEqual(received.count(b"hvc1"), FRAMES + 1)
                self.assertIn(frames[-1][:64], received)
            client.close()
            wait_until(lambda: f"stream.stopped stream={stream} " in server.log_text(), 10)


if __name__ == "__main__":
    unittest.main()
