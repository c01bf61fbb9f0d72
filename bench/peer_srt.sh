#!/usr/bin/env bash
# CPU per SRT publisher: tidecast ingesting one SRT stream (demux, hub, CMAF packaging, with no
# viewer) against srt-live-transmit relaying the same stream to UDP (the floor for moving the
# SRT bytes). The same pre-encoded MPEG-TS file (720p30 H.264 + AAC, ~4 Mbit/s) is published
# by ffmpeg -re -c copy to each in turn; CPU is utime+stime of the receiving process over the
# publish. One run per receiver, same machine.
#
#   bench/peer_srt.sh            DURATION=30 (seconds) BITRATE=4M by default
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/peer_lib.sh"
SECONDS_RUN="${DURATION:-30}"
BITRATE="${BITRATE:-4M}"
BIN="${TIDECAST_BIN:-$ROOT/build/release/server/tidecast}"
[[ -x "$BIN" ]] || die "no $BIN (ninja -C build/release tidecast)"
command -v srt-live-transmit >/dev/null || die "srt-live-transmit missing (scripts/setup: srt-tools)"
TMP="$(mktemp -d)"
PIDS=()
cleanup() { local rc=$?; for p in "${PIDS[@]}"; do stop_pid "$p" receiver; done; remove_tmp $rc; }
trap cleanup EXIT

ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=30 \
  -f lavfi -i sine=frequency=440:sample_rate=48000 -t "$SECONDS_RUN" -c:v libx264 -preset veryfast \
  -b:v "$BITRATE" -maxrate "$BITRATE" -bufsize "$BITRATE" -g 60 -pix_fmt yuv420p -c:a aac \
  -f mpegts "$TMP/in.ts"

publish() {  # publish URL: the file in real time, copied
  ffmpeg -hide_banner -loglevel error -nostdin -re -i "$TMP/in.ts" -c copy -f mpegts "$1&linger=3"
}

measure() {  # measure NAME PID URL
  local name="$1" pid="$2" url="$3" before after
  before="$(cpu_ticks "$pid")"
  publish "$url"
  after="$(cpu_ticks "$pid")"
  awk -v n="$name" -v t="$((after - before))" -v hz="$CLK_TCK" -v s="$SECONDS_RUN" \
    'BEGIN { printf "%-28s cpu %6.2f s over %d s = %5.1f%% of a core\n", n, t / hz, s, 100 * t / hz / s }'
}

# tidecast
write_tidecast_config "$TMP" "admin: {enabled: false}"
"$BIN" --config "$TMP/tidecast.yaml" 2> "$TMP/tidecast.log" &
PIDS+=($!)
sleep 1
measure "tidecast (SRT ingest)" "${PIDS[-1]}" "srt://127.0.0.1:$SRT_PORT?streamid=live/bench"
stop_pid "${PIDS[-1]}" tidecast

# srt-live-transmit: SRT listener -> UDP
SRT_PORT="$(free_udp_port)"
srt-live-transmit -q "srt://127.0.0.1:$SRT_PORT?mode=listener" "udp://127.0.0.1:$(free_udp_port)" &
PIDS+=($!)
sleep 1
measure "srt-live-transmit (relay)" "${PIDS[-1]}" "srt://127.0.0.1:$SRT_PORT?streamid=live/bench"
