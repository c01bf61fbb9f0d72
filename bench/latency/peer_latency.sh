#!/usr/bin/env bash
# Side-by-side ingest-to-viewer latency: tidecast (LL-HLS, LL-DASH) against nginx-rtmp (Debian
# libnginx-mod-rtmp: HLS with MPEG-TS segments, DASH), same machine, same publisher, same
# viewers, one server after the other.
#
#   bench/latency/peer_latency.sh                  # defaults below
#   DURATION=30 ROUNDS=3 bench/latency/peer_latency.sh
#
# For each server in turn: start it on free loopback ports with a temp config, then run one
# tidecast-latency process that publishes the stamped synthetic stream over RTMP and reads it
# back with two viewers at once:
#   tidecast: ll-hls http://127.0.0.1:HTTP/live/KEY/video.m3u8 and dash .../live/KEY/index.mpd
#   nginx:    hls http://127.0.0.1:HTTP/hls/KEY/index.m3u8 and dash .../dash/KEY/index.mpd
# (nginx-rtmp: hls_fragment and dash_fragment FRAGMENT seconds, files served by the same nginx).
# A latency sample is the time a frame's bytes reached the viewer minus the time the publisher
# handed that frame to its RTMP muxer, both on one clock (see bench/latency/tidecast_latency.cpp).
# That is availability latency: what a player adds on top (its buffer / hold-back) is excluded.
#
# When tidecast answers a playlist or MPD with 404 for the whole start-up wait (no packager in
# that build), its modes are reported as skipped and the nginx-rtmp numbers still come out.
#
# Environment:
#   TIDECAST     tidecast binary          (default: build/release/server/tidecast)
#   LATENCY      tidecast-latency binary  (default: build/release/bench/tidecast-latency)
#   NGINX        nginx binary             (default: nginx from PATH)
#   NGINX_RTMP   module path              (default: /usr/lib/nginx/modules/ngx_rtmp_module.so)
#   DURATION     measured seconds per run (default: 20)
#   WARMUP       seconds dropped at the start of each viewer's window (default: 3)
#   FRAGMENT     nginx-rtmp hls_fragment / dash_fragment, seconds (default: 1)
#   POLL_MS      playlist / MPD polling interval of the nginx viewers (default: 100)
#   ROUNDS       rounds; odd rounds run tidecast first, even rounds nginx first (default: 1)
#   SERVER_CPU   core the server runs on                 (default: 1)
#   CLIENT_CPU   core tidecast-latency runs on (default: 0)
#   KEEP_TMP=1   keep the temp dir (configs, logs, JSON reports)
#
# Prints each run and a markdown table (medians over rounds) with tidecast/nginx ratios. Only
# talks to 127.0.0.1. Every process it starts is stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TIDECAST="${TIDECAST:-$ROOT/build/release/server/tidecast}"
LATENCY="${LATENCY:-$ROOT/build/release/bench/tidecast-latency}"
NGINX="${NGINX:-$(command -v nginx || true)}"
NGINX_RTMP="${NGINX_RTMP:-/usr/lib/nginx/modules/ngx_rtmp_module.so}"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
FRAGMENT="${FRAGMENT:-1}"
POLL_MS="${POLL_MS:-100}"
ROUNDS="${ROUNDS:-1}"
SERVER_CPU="${SERVER_CPU:-1}"
CLIENT_CPU="${CLIENT_CPU:-0}"
READY_DEADLINE_S=15
START_TIMEOUT_S=15  # a viewer waits this long for its playlist / MPD to appear
APP=live
KEY=latency

source "$ROOT/bench/peer_lib.sh"

[[ -x "$TIDECAST" ]] || die "tidecast binary not found at $TIDECAST (cmake --build build/release --target tidecast)"
[[ -x "$LATENCY" ]] || die "tidecast-latency not found at $LATENCY (cmake --build build/release --target tidecast-latency)"
[[ -n "$NGINX" && -x "$NGINX" ]] || die "nginx not found (apt-get install nginx-light, or set NGINX=)"
[[ -f "$NGINX_RTMP" ]] || die "nginx RTMP module not found at $NGINX_RTMP (apt-get install libnginx-mod-rtmp)"
command -v python3 >/dev/null || die "python3 not found (free ports, tables)"
for v in DURATION WARMUP FRAGMENT POLL_MS ROUNDS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number: ${!v}"
done

setup_pinning "tidecast-latency (publisher and viewers)"

TMP="$(mktemp -d -t tidecast-peer-latency.XXXXXX)"
SERVER_PID=""

cleanup() {
  local rc=$?
  stop_pid "$SERVER_PID" server  # nginx: the master; it stops its worker on SIGTERM
  remove_tmp "$rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- servers ---------------------------------------------------------------------------------
RTMP_PORT=""
HTTP_PORT=""

start_tidecast() {  # start_tidecast DIR
  local dir="$1"
  write_tidecast_config "$dir"
  "${PIN_SERVER[@]}" "$TIDECAST" --config "$dir/tidecast.yaml" >>"$dir/tidecast.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$dir/tidecast.log"
}

start_nginx() {  # start_nginx DIR
  local dir="$1"
  RTMP_PORT="$(free_port)"
  HTTP_PORT="$(free_port)"
  mkdir -p "$dir/logs" "$dir/hls" "$dir/dash"
  # Started as root, nginx runs its worker as "nobody", which cannot write HLS/DASH files into
  # our private temp dir: keep the worker as the user that runs this script.
  local user_line=""
  (( EUID == 0 )) && user_line="user $(id -un) $(id -gn);"
  cat >"$dir/nginx.conf" <<EOF
load_module $NGINX_RTMP;
$user_line
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events {
  worker_connections 1024;
}
rtmp {
  server {
    listen 127.0.0.1:$RTMP_PORT;
    application $APP {
      live on;
      hls on;
      hls_path $dir/hls;
      hls_nested on;
      hls_fragment ${FRAGMENT}s;
      hls_playlist_length $((FRAGMENT * 10))s;
      dash on;
      dash_path $dir/dash;
      dash_nested on;
      dash_fragment ${FRAGMENT}s;
      dash_playlist_length $((FRAGMENT * 10))s;
    }
  }
}
http {
  access_log off;
  types {
    application/vnd.apple.mpegurl m3u8;
    video/mp2t ts;
    application/dash+xml mpd;
    video/mp4 m4v mp4;
    audio/mp4 m4a;
  }
  server {
    listen 127.0.0.1:$HTTP_PORT;
    location /hls/ {
      alias $dir/hls/;
      add_header Cache-Control no-cache;
    }
    location /dash/ {
      alias $dir/dash/;
      add_header Cache-Control no-cache;
    }
  }
}
EOF
  "$NGINX" -t -p "$dir" -c "$dir/nginx.conf" >"$dir/logs/test.log" 2>&1 ||
    { cat "$dir/logs/test.log" >&2; die "nginx rejected its config"; }
  "${PIN_SERVER[@]}" "$NGINX" -p "$dir" -c "$dir/nginx.conf" -g 'daemon off;' \
    >>"$dir/logs/stdout.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$dir/logs/error.log"
}

RESULTS="$TMP/results.jsonl"
: >"$RESULTS"

run_server() {  # run_server NAME ROUND
  local name="$1" round="$2" dir="$TMP/$1-$2" base reads=() out rc=0
  mkdir -p "$dir"
  echo "== $name (round $round, load average $(load1))"
  if [[ "$name" == tidecast ]]; then
    start_tidecast "$dir"
    base="http://127.0.0.1:$HTTP_PORT/$APP/$KEY"
    reads=(--read ll-hls "$base/video.m3u8" --read dash "$base/index.mpd")
  else
    start_nginx "$dir"
    base="http://127.0.0.1:$HTTP_PORT"
    reads=(--read hls "$base/hls/$KEY/index.m3u8" --read dash "$base/dash/$KEY/index.mpd")
  fi
  wait_port "$RTMP_PORT" "$name"
  wait_port "$HTTP_PORT" "$name"
  out="$dir/latency.jsonl"
  "${PIN_CLIENT[@]}" "$LATENCY" --rtmp "rtmp://127.0.0.1:$RTMP_PORT/$APP/$KEY" "${reads[@]}" \
    --seconds "$DURATION" --warmup "$WARMUP" --start-timeout "$START_TIMEOUT_S" \
    --poll-ms "$POLL_MS" --json >"$out" 2>"$dir/latency.txt" || rc=$?
  sed 's/^/    /' "$dir/latency.txt"
  kill -0 "$SERVER_PID" 2>/dev/null || die "$name died during the run (see $SERVER_LOG)"
  [[ -s "$out" ]] || die "tidecast-latency produced no report against $name (rc $rc)"
  python3 - "$out" "$name" "$round" >>"$RESULTS" <<'PY'
import json, sys
path, name, rnd = sys.argv[1:]
for line in open(path):
    if line.strip():
        r = json.loads(line)
        r.update(server_name=name, round=int(rnd))
        print(json.dumps(r))
PY
  stop_pid "$SERVER_PID" "$name"
  SERVER_PID=""
}

echo "peer_latency.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(load1)"
echo "pinning: $PINNING"
echo "runs: ${DURATION}s measured after ${WARMUP}s warm-up per viewer, nginx-rtmp fragments ${FRAGMENT}s, polling ${POLL_MS} ms, $ROUNDS round(s)"
echo
for round in $(seq "$ROUNDS"); do
  if (( round % 2 == 1 )); then order=(tidecast nginx); else order=(nginx tidecast); fi
  for name in "${order[@]}"; do run_server "$name" "$round"; done
done
echo

# ---- table ------------------------------------------------------------------------------------
python3 - "$RESULTS" "$FRAGMENT" "$POLL_MS" <<'PY'
import json, statistics, sys
path, fragment, poll_ms = sys.argv[1:]
runs = [json.loads(l) for l in open(path) if l.strip()]

LABELS = {("tidecast", "ll-hls"): "tidecast LL-HLS", ("tidecast", "dash"): "tidecast LL-DASH",
          ("nginx", "hls"): f"nginx-rtmp HLS (TS, {fragment} s fragments)",
          ("nginx", "dash"): f"nginx-rtmp DASH ({fragment} s fragments)"}

def skipped(r):
    return r.get("error") and "HTTP 404" in r["error"]

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def fmt(x, unit=" ms"):
    return "–" if x is None else f"{x:.0f}{unit}"

summary = {}
for key, label in LABELS.items():
    rs = [r for r in runs if (r["server_name"], r["mode"]) == key]
    if not rs:
        continue
    if all(skipped(r) for r in rs):
        print(f"{label}: skipped, {rs[0]['error']} (no LL-HLS/DASH packager in this tidecast build?)")
        continue
    good = [r for r in rs if r["samples"] > 0 and not r.get("error")]
    for r in rs:
        if r.get("error") and not skipped(r):
            print(f"{label}, round {r['round']}: FAILED: {r['error']}")
    if good:
        summary[key] = {k: med(r[k] for r in good) for k in ("p50_ms", "p99_ms", "min_ms", "max_ms")}
        summary[key]["samples"] = sum(r["samples"] for r in good)
        summary[key]["rounds"] = len(good)

print()
print("| stream | p50 ms | p99 ms | min ms | max ms | samples (rounds) |")
print("|---|---:|---:|---:|---:|---:|")
for key, label in LABELS.items():
    s = summary.get(key)
    if s:
        print(f"| {label} | {fmt(s['p50_ms'], '')} | {fmt(s['p99_ms'], '')} | {fmt(s['min_ms'], '')} "
              f"| {fmt(s['max_ms'], '')} | {s['samples']} ({s['rounds']}) |")
    else:
        print(f"| {label} | – | – | – | – | – |")

def ratio(a, b, field):
    sa, sb = summary.get(a), summary.get(b)
    if not sa or not sb or not sb[field]:
        return "–"
    return f"{sa[field] / sb[field]:.2f}×"

print()
print("| tidecast / nginx-rtmp | p50 | p99 |")
print("|---|---:|---:|")
for a, b, label in ((("tidecast", "ll-hls"), ("nginx", "hls"), "LL-HLS / HLS"),
                    (("tidecast", "dash"), ("nginx", "dash"), "LL-DASH / DASH")):
    print(f"| {label} | {ratio(a, b, 'p50_ms')} | {ratio(a, b, 'p99_ms')} |")
print()
print(f"Availability latency (publisher's muxer → bytes at the viewer), player buffering excluded; "
      f"nginx viewers poll every {poll_ms} ms. Medians over rounds.")
PY
