#!/usr/bin/env bash
# Where a server's CPU goes under RTMP fan-out: one server (tidecast or nginx-rtmp), one
# publisher, N players from tidecast-load; during the window, system calls are counted
# (perf stat on syscall tracepoints) and CPU is sampled (perf record -e cpu-clock, call graphs).
# The machine has no hardware counters (perf stat -e instructions: not supported), so this uses
# the cpu-clock software event; for user-space instruction counts use valgrind --tool=callgrind
# on tidecast with a small N (it runs ~50× slower).
#
#   bench/profile_rtmp.sh tidecast          # or: nginx
#   N=1000 bench/profile_rtmp.sh nginx
#
# Environment: TIDECAST, LOAD, NGINX, NGINX_RTMP, FFMPEG as in peer_rtmp.sh; N (default 1000),
# SERVER_CPU (1), CLIENT_CPU (0), OUT (directory for perf data; default: a new temp dir, kept).
# Prints the syscall counts, the user/kernel split and the top symbols. Only talks to
# 127.0.0.1; stops what it started, by PID.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVER="${1:-}"
[[ "$SERVER" == tidecast || "$SERVER" == nginx ]] || { echo "usage: $0 tidecast|nginx" >&2; exit 2; }
TIDECAST="${TIDECAST:-$ROOT/build/release/server/tidecast}"
LOAD="${LOAD:-$ROOT/build/release/bench/tidecast-load}"
NGINX="${NGINX:-$(command -v nginx || true)}"
NGINX_RTMP="${NGINX_RTMP:-/usr/lib/nginx/modules/ngx_rtmp_module.so}"
FFMPEG="${FFMPEG:-$(command -v ffmpeg || true)}"
N="${N:-1000}"
SERVER_CPU="${SERVER_CPU:-1}"
CLIENT_CPU="${CLIENT_CPU:-0}"
OUT="${OUT:-$(mktemp -d -t tidecast-profile-rtmp.XXXXXX)}"
RAMP=200
SETTLE=2
STAT_S=5
RECORD_S=8
mkdir -p "$OUT"

die() { echo "profile_rtmp.sh: $*" >&2; exit 1; }
command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
[[ -x "$LOAD" ]] || die "tidecast-load not found at $LOAD"
[[ "$N" =~ ^[0-9]+$ ]] || die "N must be an integer"
ulimit -n 8192 2>/dev/null || true

SERVER_PID=""
PUBLISHER_PID=""
LOAD_PID=""
stop_pid() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$?
  stop_pid "$LOAD_PID"
  stop_pid "$PUBLISHER_PID"
  stop_pid "$SERVER_PID"
  echo "profile_rtmp.sh: output kept in $OUT" >&2
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

WINDOW_S=$((STAT_S + RECORD_S + 5))
MEDIA_S=$((N / RAMP + SETTLE + WINDOW_S + 30))
"$FFMPEG" -hide_banner -loglevel error -nostdin \
  -f lavfi -i "testsrc2=size=640x360:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=44100" \
  -t "$MEDIA_S" -c:v libx264 -preset veryfast -tune zerolatency -pix_fmt yuv420p \
  -b:v 2M -maxrate 2M -bufsize 2M -g 60 -c:a aac -b:a 64k -f flv -y "$OUT/publisher.flv"

PORT="$(free_port)"
if [[ "$SERVER" == tidecast ]]; then
  mkdir -p "$OUT/tidecast-data"
  printf 'data_dir: %s\nlog:\n  level: warn\nhttp:\n  listen: 127.0.0.1\n  port: %s\nrtmp:\n  listen: 127.0.0.1\n  port: %s\n' \
    "$OUT/tidecast-data" "$(free_port)" "$PORT" >"$OUT/tidecast.yaml"
  taskset -c "$SERVER_CPU" "$TIDECAST" --config "$OUT/tidecast.yaml" >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
else
  mkdir -p "$OUT/nginx/logs"
  cat >"$OUT/nginx/nginx.conf" <<EOF
load_module $NGINX_RTMP;
worker_processes 1;
worker_rlimit_nofile 8192;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/logs/error.log warn;
events { worker_connections 8192; }
rtmp { server { listen 127.0.0.1:$PORT; chunk_size 4096; application live { live on; } } }
EOF
  taskset -c "$SERVER_CPU" "$NGINX" -p "$OUT/nginx" -c "$OUT/nginx/nginx.conf" -g 'daemon off;' \
    >"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
fi
sleep 1
kill -0 "$SERVER_PID" 2>/dev/null || die "$SERVER did not start (see $OUT/server.log)"
taskset -c "$CLIENT_CPU" "$FFMPEG" -hide_banner -loglevel error -nostdin -re -i "$OUT/publisher.flv" \
  -c copy -f flv "rtmp://127.0.0.1:$PORT/live/bench" >"$OUT/publisher.log" 2>&1 &
PUBLISHER_PID=$!
sleep 3
# nginx: the worker does the work; tidecast: the process itself.
TARGET="$( (ps -o pid= --ppid "$SERVER_PID" || true) | awk 'NR == 1 {print $1}')"
[[ "$SERVER" == nginx && -n "$TARGET" ]] || TARGET="$SERVER_PID"

taskset -c "$CLIENT_CPU" "$LOAD" rtmp-play --url "rtmp://127.0.0.1:$PORT/live/bench" -n "$N" \
  --ramp "$RAMP" --settle "$SETTLE" --duration "$WINDOW_S" >"$OUT/load.txt" 2>&1 &
LOAD_PID=$!
sleep $((N / RAMP + SETTLE + 1))

perf stat -e 'syscalls:sys_enter_writev,syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_epoll_wait,task-clock' \
  -p "$TARGET" -- sleep "$STAT_S" >"$OUT/syscalls.txt" 2>&1
perf record -o "$OUT/perf.data" -e cpu-clock -F 1999 -g -p "$TARGET" -- sleep "$RECORD_S" >/dev/null 2>&1
wait "$LOAD_PID" || true
LOAD_PID=""

# Reports are cut with head: perf then dies of SIGPIPE, which is fine here.
set +o pipefail
echo "== $SERVER (pid $TARGET), $N players"
sed 's/^/  /' "$OUT/load.txt"
echo "== system calls in ${STAT_S}s"
grep -E 'syscalls:|task-clock' "$OUT/syscalls.txt" | awk '$1 != "0"' | sed 's/^ */  /'
echo "== CPU by object (cpu-clock samples)"
perf report -i "$OUT/perf.data" --no-children --sort dso -g none 2>/dev/null | grep '%' | grep -v '^#' | head -6
echo "== top symbols"
perf report -i "$OUT/perf.data" --no-children --sort sym -g none 2>/dev/null | grep '%' | grep -v '^#' | head -30
echo "== inclusive (send path, receiver's softirq on loopback, wakeups)"
perf report -i "$OUT/perf.data" --children --sort sym -g none 2>/dev/null | grep -v '^#' |
  grep -E '__GI___writev|__send$|do_softirq.part|net_rx_action|_copy_from_iter|sock_def_readable|flushPending|fanOut|onPacket' | head -12
true
