#!/usr/bin/env bash
# Side-by-side RTMP fan-out: tidecast against nginx-rtmp (Debian libnginx-mod-rtmp), same
# machine, same publisher bytes, same load generator, one after the other.
#
#   bench/peer_rtmp.sh                       # defaults below
#   NS="200 1000" DURATION=20 bench/peer_rtmp.sh
#
# For each server in turn: start it on free ports with a temp config (pinned to SERVER_CPU),
# start one publisher (ffmpeg -re -c copy of a pre-encoded FLV, pinned to CLIENT_CPU), wait
# until the stream plays, measure the server with the publisher alone, then for each N run
#   tidecast-load rtmp-play -n N --ramp RAMP --settle SETTLE --duration DURATION
# (pinned to CLIENT_CPU), and for tidecast only also flv-play with FLV_N players.
#
# The publisher's media is encoded once, before any server starts, with the parameters of the
# benchmark: testsrc2 640x360 30 fps, libx264 -b:v 2M -maxrate 2M -bufsize 2M -g 60
# (veryfast, zerolatency: no B-frames), AAC 64 kbit/s 44.1 kHz. Publishing it with -c copy
# gives both servers the identical byte stream and keeps x264 off the client core during the
# measurement.
#
# Measured per run (the load generator samples the server itself at the window's start and
# end, see bench/load/tidecast_load.cpp):
#   CPU per player-second = server utime+stime over the window / (N × window)
#   RSS per player        = (server VmRSS with N players − VmRSS before the first player) / N
#                           (nginx: master + worker summed)
#   stalls, join times, fps, load generator CPU, other jobs' share of the server's core
# The HTTP-FLV run comes after the RTMP runs, so its RSS includes heap the server kept from
# them (malloc does not hand everything back): for HTTP-FLV RSS per player, run NS="".
#
# Environment:
#   TIDECAST     tidecast binary        (default: build/release/server/tidecast)
#   LOAD         tidecast-load binary   (default: build/release/bench/tidecast-load)
#   NGINX        nginx binary           (default: nginx from PATH)
#   NGINX_RTMP   module path            (default: /usr/lib/nginx/modules/ngx_rtmp_module.so)
#   NS           RTMP player counts     (default: "200 1000"; "" runs HTTP-FLV on tidecast only)
#   FLV_N        HTTP-FLV players, tidecast only; 0 skips (default: 200)
#   DURATION     window seconds         (default: 20)
#   RAMP         connections per second (default: 200)
#   SETTLE       seconds between the last connection and the window (default: 2)
#   ROUNDS       rounds; odd rounds run tidecast first, even rounds nginx first (default: 1)
#   SERVER_CPU   core the server runs on           (default: 1)
#   CLIENT_CPU   core the load and publisher run on (default: 0)
#   SRT          tidecast's SRT listener, true|false (default: false: nginx-rtmp has none, and
#                libsrt's own threads poll every 10 ms, ~10 ms of CPU per second with no SRT
#                traffic at all, which would be billed to the RTMP players)
#   KEEP_TMP=1   keep the temp dir (configs, logs, JSON reports)
#
# Prints the runs and a markdown table for bench/RESULTS.md. Only talks to 127.0.0.1. Every
# process it starts is stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIDECAST="${TIDECAST:-$ROOT/build/release/server/tidecast}"
LOAD="${LOAD:-$ROOT/build/release/bench/tidecast-load}"
NGINX="${NGINX:-$(command -v nginx || true)}"
NGINX_RTMP="${NGINX_RTMP:-/usr/lib/nginx/modules/ngx_rtmp_module.so}"
FFMPEG="${FFMPEG:-$(command -v ffmpeg || true)}"
NS="${NS-200 1000}"
FLV_N="${FLV_N:-200}"
DURATION="${DURATION:-20}"
RAMP="${RAMP:-200}"
SETTLE="${SETTLE:-2}"
ROUNDS="${ROUNDS:-1}"
# Outgoing RTMP chunk size, the same for both servers (tidecast's default is 60000).
CHUNK_SIZE="${CHUNK_SIZE:-60000}"
# tidecast's streams.player_write_merge_ms; empty keeps the server's default.
MERGE_MS="${MERGE_MS:-}"
SRT="${SRT:-false}"
SERVER_CPU="${SERVER_CPU:-1}"
CLIENT_CPU="${CLIENT_CPU:-0}"
READY_DEADLINE_S=15
IDLE_S=5      # publisher alone, before the first player
PAUSE_S=3     # between runs: players gone, server back to idle
APP=live
KEY=bench

source "$(dirname "$0")/peer_lib.sh"

[[ -x "$TIDECAST" ]] || die "tidecast binary not found at $TIDECAST (cmake --build build/release --target tidecast)"
[[ -x "$LOAD" ]] || die "tidecast-load not found at $LOAD (cmake --build build/release --target tidecast-load)"
[[ -n "$NGINX" && -x "$NGINX" ]] || die "nginx not found (apt-get install nginx-light, or set NGINX=)"
[[ -f "$NGINX_RTMP" ]] || die "nginx RTMP module not found at $NGINX_RTMP (apt-get install libnginx-mod-rtmp)"
[[ -n "$FFMPEG" && -x "$FFMPEG" ]] || die "ffmpeg not found"
command -v python3 >/dev/null || die "python3 not found (free ports, tables)"
for n in $NS $FLV_N; do [[ "$n" =~ ^[0-9]+$ ]] || die "player counts must be integers: $n"; done

# 1000 players + publisher + listeners need more than the usual 1024 descriptors; children
# (servers, load generator) inherit the limit.
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE="$(ulimit -n)"

setup_pinning "load generator and publisher"

TMP="$(mktemp -d -t tidecast-peer-rtmp.XXXXXX)"
SERVER_PID=""
PUBLISHER_PID=""

cleanup() {
  local rc=$?
  stop_pid "$PUBLISHER_PID" publisher
  stop_pid "$SERVER_PID" server  # nginx: the master; it stops its worker on SIGTERM
  remove_tmp "$rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

server_pids() {  # the server's processes: tidecast; nginx master + workers
  echo "$SERVER_PID" $(ps -o pid= --ppid "$SERVER_PID" 2>/dev/null || true)
}

rss_kb() {  # rss_kb PID...: VmRSS summed
  local total=0 pid v
  for pid in "$@"; do
    v="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
    total=$((total + ${v:-0}))
  done
  echo "$total"
}


# ---- the publisher's media, encoded once -----------------------------------------------------
# Long enough for the longest server session: probe + idle + every run + pauses, plus margin.
SESSION_S="$(python3 -c '
import sys, math
ns = [int(x) for x in sys.argv[1].split()]
flv, dur, ramp, settle, idle, pause = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
runs = ns + ([flv] if flv > 0 else [])
print(math.ceil(10 + idle + sum(n / ramp + settle + dur + 3 + pause for n in runs) + 30))' \
  "$NS" "$FLV_N" "$DURATION" "$RAMP" "$SETTLE" "$IDLE_S" "$PAUSE_S")"
MEDIA="$TMP/publisher.flv"
echo "encoding ${SESSION_S}s of publisher media (testsrc2 640x360 30 fps, H.264 2 Mbit/s, AAC)..."
"${PIN_CLIENT[@]}" "$FFMPEG" -hide_banner -loglevel error -nostdin \
  -f lavfi -i "testsrc2=size=640x360:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
  -t "$SESSION_S" -c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p \
  -b:v 2M -maxrate 2M -bufsize 2M -g 60 -c:a aac -b:a 64k -f flv -y "$MEDIA" ||
  die "could not encode the publisher media"

# ---- servers ---------------------------------------------------------------------------------
RTMP_PORT=""
HTTP_PORT=""

start_tidecast() {
  local extra="  chunk_size: $CHUNK_SIZE"  # continues the rtmp: section
  if [[ -n "$MERGE_MS" ]]; then extra+=$'\nstreams:\n  player_write_merge_ms: '"$MERGE_MS"; fi
  TIDECAST_SRT_ENABLED="$SRT" write_tidecast_config "$TMP" "$extra"
  "${PIN_SERVER[@]}" "$TIDECAST" --config "$TMP/tidecast.yaml" >>"$TMP/tidecast.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$TMP/tidecast.log"
}

start_nginx() {
  RTMP_PORT="$(free_port)"
  HTTP_PORT=""
  mkdir -p "$TMP/nginx/logs"
  cat >"$TMP/nginx/nginx.conf" <<EOF
load_module $NGINX_RTMP;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events {
  worker_connections 8192;
}
rtmp {
  server {
    listen 127.0.0.1:$RTMP_PORT;
    chunk_size $CHUNK_SIZE;
    application $APP {
      live on;
    }
  }
}
EOF
  "$NGINX" -t -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/logs/test.log" 2>&1 ||
    { cat "$TMP/nginx/logs/test.log" >&2; die "nginx rejected its config"; }
  "${PIN_SERVER[@]}" "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' \
    >>"$TMP/nginx/logs/stdout.log" 2>&1 &
  SERVER_PID=$!
  SERVER_LOG="$TMP/nginx/logs/error.log"
}

start_publisher() {
  "${PIN_CLIENT[@]}" "$FFMPEG" -hide_banner -loglevel error -nostdin -re -i "$MEDIA" -c copy \
    -f flv "rtmp://127.0.0.1:$RTMP_PORT/$APP/$KEY" >>"$TMP/publisher-$1.log" 2>&1 &
  PUBLISHER_PID=$!
}

wait_playable() {  # one player must get video: the stream is live
  # The settle window is longer than the publisher's GOP (2 s): a server that starts a player at
  # the next keyframe (nginx-rtmp) must get its chance within one probe.
  local deadline=$((SECONDS + READY_DEADLINE_S))
  while (( SECONDS < deadline )); do
    kill -0 "$PUBLISHER_PID" 2>/dev/null || { cat "$TMP/publisher-$1.log" >&2; die "publisher to $1 exited"; }
    if "$LOAD" rtmp-play --url "rtmp://127.0.0.1:$RTMP_PORT/$APP/$KEY" -n 1 --settle 2.5 \
         --duration 1 >"$TMP/probe-$1.txt" 2>&1; then
      return 0
    fi
    sleep 0.5
  done
  cat "$TMP/probe-$1.txt" >&2
  die "stream on $1 not playable within ${READY_DEADLINE_S}s"
}

RESULTS="$TMP/results.jsonl"
: >"$RESULTS"

run_load() {  # run_load SERVER ROUND MODE N BASELINE_RSS
  local name="$1" round="$2" mode="$3" n="$4" base="$5" url out pids args=()
  if [[ "$mode" == rtmp-play ]]; then
    url="rtmp://127.0.0.1:$RTMP_PORT/$APP/$KEY"
  else
    url="http://127.0.0.1:$HTTP_PORT/$APP/$KEY.flv"
  fi
  pids="$(server_pids)"
  for pid in $pids; do args+=(--server-pid "$pid"); done
  out="$TMP/load-$name-$round-$mode-$n.json"
  local l0 l1 rc=0
  l0="$(load1)"
  "${PIN_CLIENT[@]}" "$LOAD" "$mode" --url "$url" -n "$n" --ramp "$RAMP" --settle "$SETTLE" \
    --duration "$DURATION" "${args[@]}" --json >"$out" 2>"$out.txt" || rc=$?
  l1="$(load1)"
  sed 's/^/    /' "$out.txt"
  [[ -s "$out" ]] || die "tidecast-load produced no report against $name (rc $rc)"
  kill -0 "$SERVER_PID" 2>/dev/null || die "$name died during the run (see $SERVER_LOG)"
  kill -0 "$PUBLISHER_PID" 2>/dev/null || die "the publisher to $name died during the run"
  python3 - "$out" "$name" "$round" "$base" "$l0" "$l1" >>"$RESULTS" <<'PY'
import json, sys
path, name, rnd, base, l0, l1 = sys.argv[1:]
r = json.load(open(path))
r.update(server_name=name, round=int(rnd), rss_kb_before_players=int(base), load1=[float(l0), float(l1)])
print(json.dumps(r))
PY
}

run_server() {  # run_server NAME ROUND
  local name="$1" round="$2"
  echo "== $name (round $round, load average $(load1))"
  if [[ "$name" == tidecast ]]; then start_tidecast; else start_nginx; fi
  wait_port "$RTMP_PORT" "$name"
  start_publisher "$name"
  wait_playable "$name"
  sleep 1
  local pids base c0 c1
  pids="$(server_pids)"
  # shellcheck disable=SC2086
  c0="$(cpu_ticks $pids)"
  sleep "$IDLE_S"
  # shellcheck disable=SC2086
  c1="$(cpu_ticks $pids)"
  # shellcheck disable=SC2086
  base="$(rss_kb $pids)"
  echo "  pids $pids; publisher only: CPU $(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$IDLE_S" 'BEGIN {printf "%.1f", t * 1000 / hz / s}') ms/s, RSS $base kB"
  echo "$name $round $(( (c1 - c0) )) $base" >>"$TMP/idle.txt"
  for n in $NS; do
    echo "  rtmp-play N=$n"
    run_load "$name" "$round" rtmp-play "$n" "$base"
    sleep "$PAUSE_S"
  done
  if [[ "$name" == tidecast && "$FLV_N" -gt 0 ]]; then
    echo "  flv-play N=$FLV_N"
    run_load "$name" "$round" flv-play "$FLV_N" "$base"
  fi
  stop_pid "$PUBLISHER_PID" publisher
  PUBLISHER_PID=""
  stop_pid "$SERVER_PID" "$name"
  SERVER_PID=""
}

echo "peer_rtmp.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load average $(load1), ulimit -n $NOFILE"
echo "pinning: $PINNING"
echo "runs: rtmp-play N in {$NS} (+ flv-play $FLV_N on tidecast), ramp $RAMP/s, settle ${SETTLE}s, window ${DURATION}s, $ROUNDS round(s)"
echo
: >"$TMP/idle.txt"
for round in $(seq "$ROUNDS"); do
  if (( round % 2 == 1 )); then order=(tidecast nginx); else order=(nginx tidecast); fi
  for name in "${order[@]}"; do
    [[ "$name" == nginx && -z "${NS// /}" ]] && continue  # nothing to run against nginx
    run_server "$name" "$round"
  done
done
echo

# ---- table ------------------------------------------------------------------------------------
python3 - "$RESULTS" "$TMP/idle.txt" "$CLK_TCK" "$IDLE_S" "$PINNING" "$RAMP" "$SETTLE" "$DURATION" "$FLV_N" "$SERVER_CPU" <<'PY'
import json, statistics, sys
path, idle_path, hz, idle_s, pinning, ramp, settle, duration, flv_n, server_cpu = sys.argv[1:]
server_cpu = int(server_cpu)
runs = [json.loads(l) for l in open(path) if l.strip()]
idle = {}
for line in open(idle_path):
    name, rnd, ticks, rss = line.split()
    idle.setdefault(name, []).append((int(ticks) * 1000 / int(hz) / float(idle_s), int(rss)))

def rss_per_player(r):
    with_players = max(r["server"]["rss_kb_start"], r["server"]["rss_kb_end"])
    return (with_players - r["rss_kb_before_players"]) / r["connections"]

def others(r):
    """Share of the server's core used by other processes during the window."""
    busy = r.get("cpu_busy_fraction") or []
    if server_cpu >= len(busy) or busy[server_cpu] is None or not r["window_s"]:
        return None
    return max(0.0, busy[server_cpu] - r["server"]["cpu_s"] / r["window_s"])

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")

def pick(name, mode, n):
    return [r for r in runs if r["server_name"] == name and r["mode"] == mode and r["connections"] == n]

def fmt_join(rs):
    return f'{med(r["join_ms"]["p50"] for r in rs):.1f} / {med(r["join_ms"]["p99"] for r in rs):.1f}'

def stalls(rs):
    return f'{sum(r["stalls"]["count"] for r in rs)} ({sum(r["stalls"]["seconds"] for r in rs):.1f} s)'

def ok(rs):
    return f'{sum(r["ok"] for r in rs)}/{sum(r["connections"] for r in rs)}'

print(f"tidecast-load rtmp-play, ramp {ramp}/s, settle {settle} s, window {duration} s; {pinning}")
for name, v in idle.items():
    print(f"publisher only ({name}): CPU {med(c for c, _ in v):.1f} ms/s, RSS {med(r for _, r in v):,.0f} kB")
ns = sorted({r["connections"] for r in runs if r["mode"] == "rtmp-play"})
if ns:
    print()
    print("| N | CPU ms per player-second tidecast / nginx | tidecast/nginx | RSS KB per player tidecast / nginx "
          "| stalls tidecast / nginx | join p50 / p99 ms tidecast | join p50 / p99 ms nginx "
          "| fps median (min) tidecast / nginx | ok tidecast / nginx | load-gen CPU tidecast / nginx "
          "| other jobs on server core tidecast / nginx |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
verdict = {"cpu": [], "rss": [], "stalls": []}
for n in ns:
    t, g = pick("tidecast", "rtmp-play", n), pick("nginx", "rtmp-play", n)
    if not t or not g:
        continue
    tc, gc = med(r["server"]["cpu_ms_per_player_s"] for r in t), med(r["server"]["cpu_ms_per_player_s"] for r in g)
    tr, gr = med(rss_per_player(r) for r in t), med(rss_per_player(r) for r in g)
    ratio = tc / gc if gc else float("nan")
    verdict["cpu"].append((n, ratio))
    verdict["rss"].append((n, tr))
    verdict["stalls"].append((n, sum(r["stalls"]["count"] for r in t), sum(r["failed"] for r in t)))
    fps = lambda rs: f'{med(r["video_fps"]["median"] for r in rs):.1f} ({min(r["video_fps"]["min"] or 0 for r in rs):.1f})'
    lg = lambda rs: f'{med(r["load_cpu_fraction"] for r in rs) * 100:.0f} %'
    ot = lambda rs: f'{med(others(r) for r in rs) * 100:.0f} %'
    print(f"| {n} | {tc:.3f} / {gc:.3f} | **{ratio:.2f}×** | {tr:.1f} / {gr:.1f} | {stalls(t)} / {stalls(g)} "
          f"| {fmt_join(t)} | {fmt_join(g)} | {fps(t)} / {fps(g)} | {ok(t)} / {ok(g)} | {lg(t)} / {lg(g)} "
          f"| {ot(t)} / {ot(g)} |")
rounds = sorted({r["round"] for r in runs})
if len(rounds) > 1:
    print()
    print("Per round (CPU ms per player-second tidecast / nginx = ratio):")
    for n in ns:
        parts = []
        for rnd in rounds:
            t = [r for r in pick("tidecast", "rtmp-play", n) if r["round"] == rnd]
            g = [r for r in pick("nginx", "rtmp-play", n) if r["round"] == rnd]
            if t and g:
                a, b = t[0]["server"]["cpu_ms_per_player_s"], g[0]["server"]["cpu_ms_per_player_s"]
                parts.append(f"round {rnd}: {a:.3f} / {b:.3f} = {a / b:.2f}×")
        print(f"- N={n}: " + "; ".join(parts))
f = [r for r in runs if r["mode"] == "flv-play"]
if f:
    print()
    print("HTTP-FLV (tidecast only):")
    print()
    print("| N | CPU ms per player-second | RSS KB per player | stalls | join p50 / p99 ms | fps median (min) | ok | load-gen CPU |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted({r["connections"] for r in f}):
        rs = [r for r in f if r["connections"] == n]
        print(f'| {n} | {med(r["server"]["cpu_ms_per_player_s"] for r in rs):.3f} | {med(rss_per_player(r) for r in rs):.1f} '
              f'| {stalls(rs)} | {fmt_join(rs)} | {med(r["video_fps"]["median"] for r in rs):.1f} ({min(r["video_fps"]["min"] or 0 for r in rs):.1f}) '
              f'| {ok(rs)} | {med(r["load_cpu_fraction"] for r in rs) * 100:.0f} % |')
print()
loads = [x for r in runs for x in r["load1"]]
print(f"Load average (1 min) during the runs: {min(loads):.2f}–{max(loads):.2f}.")
if not verdict["cpu"]:
    sys.exit(0)  # no RTMP comparison in this run
cpu_ok = all(x <= 0.5 for _, x in verdict["cpu"])
rss_ok = all(x <= 32 for _, x in verdict["rss"])
st_ok = all(s == 0 and fl == 0 for _, s, fl in verdict["stalls"])
print("Targets: CPU per player ≤ 0.5× nginx-rtmp: " + ("met" if cpu_ok else "NOT met") + " ("
      + ", ".join(f"N={n}: {x:.2f}×" for n, x in verdict["cpu"]) + "); RSS per player ≤ 32 KB: "
      + ("met" if rss_ok else "NOT met") + " (" + ", ".join(f"N={n}: {x:.1f} KB" for n, x in verdict["rss"])
      + "); no stalls: " + ("met" if st_ok else "NOT met") + " ("
      + ", ".join(f"N={n}: {s} stalls, {fl} failed" for n, s, fl in verdict["stalls"]) + ").")
PY
