#!/usr/bin/env bash
# Memory per live stream with LL-HLS/LL-DASH packaging: N publishers push the same 2 Mbit/s
# 720p clip (H.264 + AAC, keyframe every 2 s) by RTMP for longer than the segment window;
# tidecast's RSS growth over its idle RSS, divided by N, is the cost of one live stream
# (GOP cache + CMAF window + live-edge sendfile mirror + bookkeeping).
#
#   bench/stream_memory.sh                  # N=4 streams for 45 s
#   STREAMS=8 SECONDS_LIVE=60 bench/stream_memory.sh
#
# Only talks to 127.0.0.1; stops what it started, by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIDECAST="${TIDECAST:-$ROOT/build/release/server/tidecast}"
STREAMS="${STREAMS:-4}"
SECONDS_LIVE="${SECONDS_LIVE:-45}"
source "$(dirname "$0")/peer_lib.sh"

[[ -x "$TIDECAST" ]] || die "tidecast binary not found at $TIDECAST"
command -v ffmpeg >/dev/null || die "ffmpeg not found"

TMP="$(mktemp -d -t tidecast-stream-memory.XXXXXX)"
TIDECAST_PID=""
PUBLISHERS=()
cleanup() {
  local rc=$?
  for pid in "${PUBLISHERS[@]}"; do stop_pid "$pid" ffmpeg; done
  stop_pid "$TIDECAST_PID" tidecast
  remove_tmp "$rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
metric() {  # metric NAME: its value from /metrics (0 when absent)
  curl -fsS --max-time 2 "http://127.0.0.1:$HTTP_PORT/metrics" |
    awk -v n="$1" '$1 == n {print $2; found=1} END {if (!found) print 0}'
}

echo "encoding a 20 s 720p clip at 2 Mbit/s ..."
ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i "testsrc2=size=1280x720:rate=30" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000" -t 20 -c:v libx264 -preset veryfast \
  -b:v 2M -maxrate 2M -bufsize 2M -g 60 -pix_fmt yuv420p -c:a aac -b:a 128k "$TMP/clip.flv"

write_tidecast_config "$TMP"
"$TIDECAST" --config "$TMP/tidecast.yaml" >"$TMP/tidecast.log" 2>&1 &
TIDECAST_PID=$!
for _ in $(seq 100); do
  curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$HTTP_PORT/healthz" 2>/dev/null && break
  sleep 0.1
done
IDLE_KB="$(rss_kb "$TIDECAST_PID")"

for i in $(seq "$STREAMS"); do
  ffmpeg -hide_banner -loglevel error -nostdin -re -stream_loop -1 -i "$TMP/clip.flv" -c copy \
    -t "$SECONDS_LIVE" -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/s$i" >"$TMP/ffmpeg-$i.log" 2>&1 &
  PUBLISHERS+=($!)
done
echo "$STREAMS publishers for $SECONDS_LIVE s ..."
sleep $((SECONDS_LIVE - 3))
LIVE="$(metric tidecast_core_live_streams)"
SEGMENT_BYTES="$(metric tidecast_delivery_cmaf_segment_bytes)"
MIRRORED_BYTES="$(metric tidecast_delivery_cmaf_mirrored_bytes)"
LIVE_KB="$(rss_kb "$TIDECAST_PID")"
[[ "$LIVE" == "$STREAMS" ]] || die "expected $STREAMS live streams, metrics say $LIVE"

python3 - "$STREAMS" "$IDLE_KB" "$LIVE_KB" "$SEGMENT_BYTES" "$MIRRORED_BYTES" <<'PY'
import sys
n, idle, live, seg, mirrored = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
print(f"streams {n}, 2 Mbit/s 720p H.264 + 128 kbit/s AAC each, default cmaf settings")
print(f"tidecast RSS idle {idle} kB, with the streams live {live} kB")
print(f"RSS per live stream: {(live - idle) / n / 1024:.1f} MiB")
print(f"CMAF segment window per stream (metric): {seg / n / 1024 / 1024:.1f} MiB; "
      f"live-edge mirror per stream (memfd, not in RSS): {mirrored / n / 1024 / 1024:.1f} MiB")
PY
