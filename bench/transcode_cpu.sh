#!/usr/bin/env bash
# The in-process ABR ladder (core/transcode) against the ffmpeg CLI doing the same ladder with
# the same encoder settings on the same input, side by side in one run, plus the extra latency
# of a rendition over its source.
#
#   bench/transcode_cpu.sh                 # ROUNDS=2 MEDIA_SECONDS=20 JOBS_MAX=3
#
# Input: 20 s of testsrc2 1280x720 30 fps + sine, H.264 (veryfast, keyframe every 2 s) + AAC,
# made once into an FLV file. Ladder: 720p 2.5 Mbit/s, 480p 1.2 Mbit/s, 360p 700 kbit/s;
# libx264 veryfast, tune zerolatency, main profile, VBV maxrate = 1.25 x bitrate = bufsize,
# no B-frames, no scene cut, IDRs forced on the source's keyframes, one thread per encoder,
# bilinear scaling, one decoder thread. Both sides are paced in real time (-re).
#
# Per round (alternating order):
#   tidecast  ladder on: the file is published by RTMP (ffmpeg -re -c copy) to app `abr`;
#             CPU seconds of the tidecast process from the publish to the job's end
#   tidecast  ladder off: the same into app `plain` (packaging only); the difference is the
#             ladder's cost
#   ffmpeg    -re -i file, split + scale + three libx264 outputs to the null muxer
# Then: jobs that hold real time (1..JOBS_MAX streams at once; speed ratio and dropped frames
# from /metrics), and the latency of source and rendition (tidecast-latency, SEI stamps,
# LL-HLS readers on both playlists) when bench/latency is built.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/peer_lib.sh

TIDECAST_BIN="${TIDECAST_BIN:-build/release/server/tidecast}"
LATENCY_BIN="${LATENCY_BIN:-build/release/bench/tidecast-latency}"
ROUNDS="${ROUNDS:-2}"
MEDIA_SECONDS="${MEDIA_SECONDS:-20}"
JOBS_MAX="${JOBS_MAX:-3}"
[[ -x "$TIDECAST_BIN" ]] || die "no $TIDECAST_BIN (make build)"

TMP="$(mktemp -d /tmp/tidecast-transcode-bench.XXXXXX)"
SERVER_PID=""
cleanup() { local rc=$?; stop_pid "$SERVER_PID" tidecast; remove_tmp $rc; }
trap cleanup EXIT

X264="-preset veryfast -tune zerolatency -profile:v main -g 100000 -forced-idr 1"
X264="$X264 -force_key_frames:v source -x264-params scenecut=0:open-gop=0:bframes=0 -threads 1"
RUNGS=("1280 720 2500000" "854 480 1200000" "640 360 700000")

echo "== input: ${MEDIA_SECONDS} s 1280x720 30 fps testsrc2 + sine" >&2
ffmpeg -hide_banner -loglevel error -nostdin -f lavfi -i testsrc2=size=1280x720:rate=30 \
  -f lavfi -i sine=frequency=440:sample_rate=48000 -t "$MEDIA_SECONDS" -c:v libx264 \
  -preset veryfast -g 60 -keyint_min 60 -sc_threshold 0 -pix_fmt yuv420p -c:a aac -b:a 96k \
  -f flv "$TMP/input.flv"

HTTP_PORT="$(free_port)"
RTMP_PORT="$(free_port)"
{
  echo "data_dir: $TMP/data"
  echo "log: {level: info}"
  echo "http: {listen: 127.0.0.1, port: $HTTP_PORT}"
  echo "rtmp: {listen: 127.0.0.1, port: $RTMP_PORT}"
  echo "apps:"
  echo "  abr: {transcode: bench}"
  echo "  plain: {}"
  echo "transcode:"
  echo "  workers: 2"
  echo "  encoder_threads: 1"
  echo "  max_queue_frames: 600"
  echo "  ladders:"
  echo "    bench:"
  echo "      renditions:"
  for r in "${RUNGS[@]}"; do
    read -r w h rate <<<"$r"
    echo "        - {name: ${h}p, height: $h, video_bitrate: $rate, maxrate: $((rate * 5 / 4)), bufsize: $((rate * 5 / 4)), preset: veryfast, profile: main}"
  done
} >"$TMP/tidecast.yaml"
"$TIDECAST_BIN" --config "$TMP/tidecast.yaml" 2>"$TMP/tidecast.log" &
SERVER_PID=$!
for _ in $(seq 100); do port_open "$HTTP_PORT" && break; sleep 0.1; done
port_open "$HTTP_PORT" || die "tidecast did not start (see $TMP/tidecast.log)"

metric() {  # metric NAME: the first sample's value in /metrics (0 if absent)
  curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | awk -v n="$1" '$1 == n || index($1, n "{") == 1 {print $2; f=1; exit} END {if (!f) print 0}'
}

public_key() {  # public_key KEY: the key as log lines and metric labels show it (core/stream_name.h)
  printf 'k-%s' "$(printf '%s' "$1" | sha256sum | cut -c1-12)"
}

publish_file() {  # publish_file APP KEY: the input file in real time, waits for the end
  ffmpeg -hide_banner -loglevel error -nostdin -re -i "$TMP/input.flv" -c copy -f flv \
    "rtmp://127.0.0.1:$RTMP_PORT/$1/$2"
}

tidecast_cpu() {  # tidecast_cpu APP KEY: tidecast CPU seconds for one publish of the file
  local before after
  before="$(cpu_ticks "$SERVER_PID")"
  publish_file "$1" "$2"
  for _ in $(seq 100); do [[ "$(metric tidecast_core_transcode_jobs)" == 0 ]] && break; sleep 0.1; done
  after="$(cpu_ticks "$SERVER_PID")"
  echo "scale=2; ($after - $before) / $CLK_TCK" | bc
}

ffmpeg_cpu() {  # the ffmpeg CLI doing the same ladder: user+sys CPU seconds
  local filter="[0:v]split=3[v0][v1][v2];[v1]scale=854:480:flags=bilinear[s1];"
  filter+="[v2]scale=640:360:flags=bilinear[s2]"
  local out=()
  local maps=("[v0]" "[s1]" "[s2]")
  local i=0
  for r in "${RUNGS[@]}"; do
    read -r w h rate <<<"$r"
    # shellcheck disable=SC2206
    out+=(-map "${maps[$i]}" -c:v libx264 $X264 -b:v "$rate" -maxrate "$((rate * 5 / 4))"
          -bufsize "$((rate * 5 / 4))" -f null -)
    i=$((i + 1))
  done
  /usr/bin/time -f "%U %S" -o "$TMP/time.txt" ffmpeg -hide_banner -loglevel error -nostdin \
    -threads 1 -re -i "$TMP/input.flv" -filter_threads 1 -filter_complex "$filter" "${out[@]}"
  awk '{printf "%.2f\n", $1 + $2}' "$TMP/time.txt"
}

echo "== machine: $(nproc) CPUs, load average at start $(load1)" >&2
printf "%-6s %-24s %10s\n" round run cpu_s
for round in $(seq "$ROUNDS"); do
  runs=("ladder" "plain" "ffmpeg")
  (( round % 2 == 0 )) && runs=("ffmpeg" "plain" "ladder")
  for run in "${runs[@]}"; do
    load="$(load1)"
    case "$run" in
      ladder) cpu="$(tidecast_cpu abr "r$round")" ;;
      plain) cpu="$(tidecast_cpu plain "r$round")" ;;
      ffmpeg) cpu="$(ffmpeg_cpu)" ;;
    esac
    printf "%-6s %-24s %10s   (load1 before: %s)\n" "$round" "$run" "$cpu" "$load"
  done
done

echo "== jobs holding real time (720p -> 3 rungs each, all published at once)" >&2
printf "%-5s %-28s %-14s %-12s %-10s\n" jobs "speed ratios (mid-run)" "dropped frames" "max queue" "cores used"
for jobs in $(seq "$JOBS_MAX"); do
  pids=()
  load="$(load1)"
  before="$(cpu_ticks "$SERVER_PID")"
  for j in $(seq "$jobs"); do publish_file abr "load${jobs}_$j" & pids+=($!); done
  # The speed ratio is measured between two scrapes: the middle half of the run.
  sleep $((MEDIA_SECONDS / 4))
  curl -s "http://127.0.0.1:$HTTP_PORT/metrics" >/dev/null
  sleep $((MEDIA_SECONDS / 2))
  scrape="$(curl -s "http://127.0.0.1:$HTTP_PORT/metrics")"
  speeds="$(awk '/^tidecast_core_transcode_speed_ratio/ {printf "%.2f ", $2}' <<<"$scrape")"
  queue="$(awk '/^tidecast_core_transcode_queue_frames/ {if ($2 > m) m = $2} END {print m + 0}' <<<"$scrape")"
  for pid in "${pids[@]}"; do wait "$pid"; done
  for _ in $(seq 100); do [[ "$(metric tidecast_core_transcode_jobs)" == 0 ]] && break; sleep 0.1; done
  after="$(cpu_ticks "$SERVER_PID")"
  ids="$(for j in $(seq "$jobs"); do public_key "load${jobs}_$j"; echo; done | paste -sd'|')"
  dropped="$(grep -oE "transcode.stopped stream=abr/($ids) .*dropped=[0-9]*" "$TMP/tidecast.log" | sed 's/.*dropped=//' | paste -sd+ | bc)"
  cores="$(echo "scale=2; ($after - $before) / $CLK_TCK / $MEDIA_SECONDS" | bc)"
  printf "%-5s %-28s %-14s %-12s %-10s (load1 before: %s)\n" "$jobs" "$speeds" "${dropped:-0}" \
    "$queue" "$cores" "$load"
done

if [[ -x "$LATENCY_BIN" ]]; then
  echo "== latency: source vs 360p rendition (LL-HLS readers, SEI stamps)" >&2
  "$LATENCY_BIN" --rtmp "rtmp://127.0.0.1:$RTMP_PORT/abr/lat" \
    --read ll-hls "http://127.0.0.1:$HTTP_PORT/abr/lat/video.m3u8" \
    --read ll-hls "http://127.0.0.1:$HTTP_PORT/abr/lat/360p/video.m3u8" \
    --seconds "$MEDIA_SECONDS" --json
fi
echo "== load average at the end $(load1)" >&2
