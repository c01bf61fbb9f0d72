#!/usr/bin/env bash
# Side-by-side HTTP comparison: tidecast against nginx serving the same bytes as a static
# file, same machine, same client, one worker each on the same core, alternating.
#
#   bench/peer_http.sh                      # GET /healthz, defaults below
#   TARGET=part CONNECTIONS=100 bench/peer_http.sh
#                                           # the newest LL-HLS part of a live stream, served
#                                           # from memory, against nginx serving that part's
#                                           # bytes from a file
#   ROUNDS=5 DURATION=20s bench/peer_http.sh
#   TLS=1 bench/peer_http.sh                # the same over HTTPS: tidecast's https: listener
#                                           # against nginx's ssl module, one self-signed
#                                           # certificate (made in the temp dir) and one pinned
#                                           # TLS 1.3 suite for both; wrk keeps connections
#                                           # alive, so this measures record encryption, not
#                                           # handshakes
#
# Environment:
#   TIDECAST     tidecast binary          (default: build/release/server/tidecast)
#   NGINX        nginx binary             (default: nginx from PATH)
#   WRK          wrk binary               (default: wrk from PATH)
#   ROUNDS       rounds per server        (default: 3)
#   DURATION     wrk -d                   (default: 10s)
#   CONNECTIONS  wrk -c                   (default: 50)
#   THREADS      wrk -t                   (default: 1)
#   SERVER_CPU   core both servers run on (default: 1)
#   CLIENT_CPU   core wrk runs on         (default: 0)
#   TARGET       healthz | part           (default: healthz)
#   TLS          1: over HTTPS            (default: 0)
#   TLS_SUITE    the TLS 1.3 suite both servers are pinned to (default: TLS_AES_128_GCM_SHA256)
#   KEEP_TMP=1   keep the temp dir (configs, logs, raw wrk output)
#
# Prints the rounds, medians and the tidecast/nginx ratio as a markdown table for
# bench/RESULTS.md. Only talks to 127.0.0.1. Both servers are stopped by PID on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TIDECAST="${TIDECAST:-$ROOT/build/release/server/tidecast}"
NGINX="${NGINX:-$(command -v nginx || true)}"
WRK="${WRK:-$(command -v wrk || true)}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-50}"
THREADS="${THREADS:-1}"
SERVER_CPU="${SERVER_CPU:-1}"
CLIENT_CPU="${CLIENT_CPU:-0}"
TARGET="${TARGET:-healthz}"
TLS="${TLS:-0}"
TLS_SUITE="${TLS_SUITE:-TLS_AES_128_GCM_SHA256}"
READY_DEADLINE_S=15
[[ "$TARGET" == healthz || "$TARGET" == part ]] || { echo "TARGET must be healthz or part" >&2; exit 2; }

source "$(dirname "$0")/peer_lib.sh"

[[ -n "$WRK" && -x "$WRK" ]] || die "wrk not found (apt-get install wrk, or set WRK=)"
[[ -n "$NGINX" && -x "$NGINX" ]] || die "nginx not found (apt-get install nginx-light, or set NGINX=)"
[[ -x "$TIDECAST" ]] || die "tidecast binary not found at $TIDECAST (cmake --build build/release --target tidecast)"
command -v curl >/dev/null || die "curl not found"
command -v python3 >/dev/null || die "python3 not found (used to pick free ports and compute medians)"
[[ "$TARGET" != part ]] || command -v ffmpeg >/dev/null || die "ffmpeg not found (it publishes the stream)"
[[ "$TLS" != 1 ]] || command -v openssl >/dev/null || die "openssl not found (it makes the certificate)"

# Pinning: both servers on SERVER_CPU, wrk on CLIENT_CPU, when taskset and the cores exist.
setup_pinning "wrk"

TMP="$(mktemp -d -t tidecast-peer-http.XXXXXX)"
TIDECAST_PID=""
NGINX_PID=""
PUBLISHER_PID=""

cleanup() {
  local rc=$?
  stop_pid "$PUBLISHER_PID" ffmpeg
  stop_pid "$TIDECAST_PID" tidecast
  stop_pid "$NGINX_PID" nginx  # the master; it stops its worker on SIGTERM
  remove_tmp "$rc"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_ready() {  # wait_ready URL PID NAME LOG
  local url="$1" pid="$2" name="$3" log="$4"
  local deadline=$((SECONDS + READY_DEADLINE_S))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "--- $log:" >&2; tail -n 20 "$log" >&2 || true
      die "$name exited during start-up"
    fi
    if curl -kfsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "--- $log:" >&2; tail -n 20 "$log" >&2 || true
  die "$name not ready at $url within ${READY_DEADLINE_S}s"
}

# ---- TLS: one self-signed certificate for both servers ---------------------------------------
TLS_YAML=""
if [[ "$TLS" == 1 ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" -days 2 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 ||
    die "openssl could not make the certificate"
  TC_TLS_PORT="$(free_port)"
  TLS_YAML="https:
  enabled: true
  listen: 127.0.0.1
  port: $TC_TLS_PORT
  cert_file: $TMP/cert.pem
  key_file: $TMP/key.pem
  ciphersuites: $TLS_SUITE"
fi

# ---- tidecast -------------------------------------------------------------------------------
TC_PORT="$(free_port)"
RTMP_PORT="$(free_port)"
mkdir -p "$TMP/tidecast-data"
cat >"$TMP/tidecast.yaml" <<EOF
data_dir: $TMP/tidecast-data
log:
  level: warn
http:
  listen: 127.0.0.1
  port: $TC_PORT
rtmp:
  listen: 127.0.0.1
  port: $RTMP_PORT
cmaf:
  # wrk asks for one part for the whole run: keep it in the window and mirrored, as the
  # newest part always is (the live edge is what LL-HLS viewers request).
  window_segments: 1000
  sendfile_segments: 1000
$TLS_YAML
EOF
"${PIN_SERVER[@]}" "$TIDECAST" --config "$TMP/tidecast.yaml" >"$TMP/tidecast.log" 2>&1 &
TIDECAST_PID=$!
wait_ready "http://127.0.0.1:$TC_PORT/healthz" "$TIDECAST_PID" tidecast "$TMP/tidecast.log"

if [[ "$TARGET" == healthz ]]; then
  TC_PATH=/healthz
  CONTENT_TYPE=application/json
  DESCRIPTION="GET /healthz"
else
  # A 2 Mbit/s 720p publisher for as long as the rounds last, on the client's core.
  PUBLISH_SECONDS=$(( ROUNDS * 2 * ${DURATION%s} + 60 ))
  "${PIN_CLIENT[@]}" ffmpeg -hide_banner -loglevel error -nostdin -re \
    -f lavfi -i "testsrc2=size=1280x720:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000" \
    -t "$PUBLISH_SECONDS" -c:v libx264 -preset ultrafast -tune zerolatency -b:v 2M -g 60 \
    -pix_fmt yuv420p -c:a aac -b:a 96k -f flv "rtmp://127.0.0.1:$RTMP_PORT/live/bench" \
    >"$TMP/ffmpeg.log" 2>&1 &
  PUBLISHER_PID=$!
  wait_ready "http://127.0.0.1:$TC_PORT/live/bench/video.m3u8" "$PUBLISHER_PID" ffmpeg "$TMP/ffmpeg.log"
  sleep 3  # a few parts into the stream
  TC_PATH="/live/bench/$(curl -fsS --max-time 2 "http://127.0.0.1:$TC_PORT/live/bench/video.m3u8" |
    sed -n 's/^#EXT-X-PART:.*URI="\([^"]*\)".*/\1/p' | tail -n 1)"
  [[ "$TC_PATH" == /live/bench/video/p*.m4s ]] || die "no part in the playlist"
  CONTENT_TYPE=video/mp4
  DESCRIPTION="GET $TC_PATH (newest LL-HLS part, from memory)"
fi
TC_URL="http://127.0.0.1:$TC_PORT$TC_PATH"
SCHEME=http
if [[ "$TLS" == 1 ]]; then
  SCHEME=https
  DESCRIPTION="$DESCRIPTION over TLS 1.3 $TLS_SUITE (RSA-2048 certificate, keep-alive)"
fi

# nginx serves the same bytes from a file at the same path.
mkdir -p "$TMP/nginx/www$(dirname "$TC_PATH")"
curl -fsS --max-time 5 -o "$TMP/nginx/www$TC_PATH" "$TC_URL"
BODY_BYTES="$(wc -c <"$TMP/nginx/www$TC_PATH")"
curl -fsS -D "$TMP/tidecast.head" -o /dev/null --max-time 2 "$TC_URL"

# ---- nginx ----------------------------------------------------------------------------------
NG_PORT="$(free_port)"
mkdir -p "$TMP/nginx/logs"
NGINX_SENDFILE=off
NGINX_LISTEN_TLS=""
NGINX_TLS=""
if [[ "$TLS" == 1 ]]; then
  NGINX_LISTEN_TLS=" ssl"
  NGINX_TLS="    ssl_certificate $TMP/cert.pem;
    ssl_certificate_key $TMP/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_conf_command Ciphersuites $TLS_SUITE;"
fi
[[ "$TARGET" != part ]] || NGINX_SENDFILE="${NGINX_SENDFILE_PART:-on}"
USER_LINE=""
if [[ "$(id -u)" == 0 ]]; then USER_LINE="user root root;"; fi  # workers read files in $TMP
cat >"$TMP/nginx/nginx.conf" <<EOF
$USER_LINE
worker_processes 1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events {
  worker_connections 4096;
  multi_accept on;
}
http {
  access_log off;
  # Tuned for nginx's best (measured on this machine): on the tiny /healthz file sendfile +
  # tcp_nopush cost a second syscall per response and was slower; on a media part sendfile
  # wins. The open-file cache saves open/fstat/close per request.
  sendfile $NGINX_SENDFILE;
  open_file_cache max=1000 inactive=60s;
  open_file_cache_valid 60s;
  keepalive_requests 100000000;
  keepalive_timeout 65s;
  server_tokens off;
  client_body_temp_path $TMP/nginx/client_body;
  proxy_temp_path $TMP/nginx/proxy;
  fastcgi_temp_path $TMP/nginx/fastcgi;
  uwsgi_temp_path $TMP/nginx/uwsgi;
  scgi_temp_path $TMP/nginx/scgi;
  server {
    listen 127.0.0.1:$NG_PORT$NGINX_LISTEN_TLS;
$NGINX_TLS
    root $TMP/nginx/www;
    location = $TC_PATH {
      default_type $CONTENT_TYPE;
      add_header Cache-Control no-store;
    }
  }
}
EOF
"$NGINX" -t -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/logs/test.log" 2>&1 ||
  { cat "$TMP/nginx/logs/test.log" >&2; die "nginx rejected its config"; }
"${PIN_SERVER[@]}" "$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' \
  >"$TMP/nginx/logs/stdout.log" 2>&1 &
NGINX_PID=$!
NG_URL="$SCHEME://127.0.0.1:$NG_PORT$TC_PATH"
wait_ready "$NG_URL" "$NGINX_PID" nginx "$TMP/nginx/logs/error.log"
if [[ "$TLS" == 1 ]]; then
  TC_URL="https://127.0.0.1:$TC_TLS_PORT$TC_PATH"
  wait_ready "$TC_URL" "$TIDECAST_PID" tidecast "$TMP/tidecast.log"
fi
curl -kfsS -D "$TMP/nginx.head" -o /dev/null --max-time 2 "$NG_URL"
NG_BODY_BYTES="$(curl -kfsS --max-time 2 "$NG_URL" | wc -c)"

echo "tidecast: pid $TIDECAST_PID, $TC_URL, body $BODY_BYTES bytes, head $(wc -c <"$TMP/tidecast.head") bytes"
echo "nginx:    pid $NGINX_PID (master), $NG_URL, body $NG_BODY_BYTES bytes, head $(wc -c <"$TMP/nginx.head") bytes"
echo "pinning:  $PINNING"
if [[ "$TLS" == 1 ]]; then
  negotiated() {  # negotiated PORT: protocol and cipher a default client gets
    openssl s_client -connect "127.0.0.1:$1" </dev/null 2>/dev/null | sed -n 's/^New, \(.*\)$/\1/p' | head -n 1
  }
  TC_CIPHER="$(negotiated "$TC_TLS_PORT")"
  NG_CIPHER="$(negotiated "$NG_PORT")"
  echo "tls:      tidecast $TC_CIPHER; nginx $NG_CIPHER"
  [[ -n "$TC_CIPHER" && "$TC_CIPHER" == "$NG_CIPHER" ]] || die "the servers negotiate different ciphers"
fi
echo "client:   wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS rounds each, alternating"
echo

# ---- rounds ---------------------------------------------------------------------------------
# One result line per run: "name round rps p50 p99 errors non2xx"
RESULTS="$TMP/results.txt"
: >"$RESULTS"

server_pids() {  # the server's processes: tidecast itself; nginx's master and its workers
  case "$1" in
    tidecast) echo "$TIDECAST_PID" ;;
    nginx) echo "$NGINX_PID" $(ps -o pid= --ppid "$NGINX_PID" 2>/dev/null || true) ;;
  esac
}

to_ms() {  # wrk latency "812.00us" / "1.23ms" / "1.02s" -> milliseconds
  python3 -c '
import sys, re
m = re.fullmatch(r"([0-9.]+)(us|ms|s|m)", sys.argv[1])
if not m: print("nan"); sys.exit()
v, u = float(m.group(1)), m.group(2)
print("%.3f" % (v * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[u]))' "$1"
}

run_wrk() {  # run_wrk NAME URL ROUND
  local name="$1" url="$2" round="$3" out="$TMP/wrk-$1-$3.txt"
  local pids cpu0 cpu1
  pids="$(server_pids "$name")"
  # shellcheck disable=SC2086
  cpu0="$(cpu_ticks $pids)"
  "${PIN_CLIENT[@]}" "$WRK" -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url" >"$out" 2>&1 ||
    { cat "$out" >&2; die "wrk failed against $name"; }
  # shellcheck disable=SC2086
  cpu1="$(cpu_ticks $pids)"
  local rps p50 p99 errors non2xx total cpu_us
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$out")"
  p50="$(awk '$1 == "50%" {print $2}' "$out")"
  p99="$(awk '$1 == "99%" {print $2}' "$out")"
  errors="$(awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out")"
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$out")"
  total="$(awk '/ requests in / {print $1}' "$out")"
  [[ -n "$rps" && -n "$p50" && -n "$p99" && -n "$total" ]] ||
    { cat "$out" >&2; die "could not read wrk output for $name"; }
  # Server CPU time per request (user+sys, all its processes), in microseconds: less
  # sensitive than req/s to other load on a shared machine.
  cpu_us="$(awk -v t="$((cpu1 - cpu0))" -v hz="$CLK_TCK" -v n="$total" 'BEGIN {printf "%.2f", (n > 0 ? t * 1e6 / hz / n : 0)}')"
  echo "$name $round $rps $(to_ms "$p50") $(to_ms "$p99") ${errors:-0} ${non2xx:-0} $cpu_us" >>"$RESULTS"
  printf '  %-8s round %d: %10.0f req/s  p50 %s  p99 %s  server CPU %s us/req  socket errors %s  non-2xx %s\n' \
    "$name" "$round" "$rps" "$p50" "$p99" "$cpu_us" "${errors:-0}" "${non2xx:-0}"
}

for round in $(seq "$ROUNDS"); do
  # Alternate which goes first so neither always gets the warmer (or busier) slot.
  if (( round % 2 == 1 )); then
    run_wrk tidecast "$TC_URL" "$round"
    run_wrk nginx "$NG_URL" "$round"
  else
    run_wrk nginx "$NG_URL" "$round"
    run_wrk tidecast "$TC_URL" "$round"
  fi
  kill -0 "$TIDECAST_PID" 2>/dev/null || die "tidecast died during the run (see $TMP/tidecast.log)"
  kill -0 "$NGINX_PID" 2>/dev/null || die "nginx died during the run"
done
echo

TC_RSS_KB="$(awk '/^VmRSS:/ {print $2}' "/proc/$TIDECAST_PID/status" 2>/dev/null || echo "?")"

# ---- table ----------------------------------------------------------------------------------
python3 - "$RESULTS" "$ROUNDS" "$THREADS" "$CONNECTIONS" "$DURATION" "$BODY_BYTES" "$PINNING" "$TC_RSS_KB" "$DESCRIPTION" <<'PY'
import statistics, sys
path, rounds, threads, conns, duration, body, pinning, rss, description = sys.argv[1:]
RND, RPS, P50, P99, ERR, NON2XX, CPU = range(7)
by = {"tidecast": [], "nginx": []}
for line in open(path):
    if not line.strip():
        continue
    name, *f = line.split()
    by[name].append((int(f[0]), float(f[1]), float(f[2]), float(f[3]), int(f[4]), int(f[5]), float(f[6])))
for v in by.values():
    v.sort()
def med(name, i):
    return statistics.median(r[i] for r in by[name])
print(f"wrk -t{threads} -c{conns} -d{duration} --latency, {description}, body {body} B, {pinning}")
print()
print("| round | tidecast req/s | nginx req/s | tidecast/nginx | tidecast p50 / p99 (ms) | nginx p50 / p99 (ms) | server CPU µs/req tidecast / nginx |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for t, n in zip(by["tidecast"], by["nginx"]):
    print(f"| {t[RND]} | {t[RPS]:,.0f} | {n[RPS]:,.0f} | {t[RPS] / n[RPS]:.2f}× | "
          f"{t[P50]:.2f} / {t[P99]:.2f} | {n[P50]:.2f} / {n[P99]:.2f} | {t[CPU]:.1f} / {n[CPU]:.1f} |")
tm, nm = med("tidecast", RPS), med("nginx", RPS)
tc, nc = med("tidecast", CPU), med("nginx", CPU)
print(f"| **median** | **{tm:,.0f}** | **{nm:,.0f}** | **{tm / nm:.2f}×** | "
      f"{med('tidecast', P50):.2f} / {med('tidecast', P99):.2f} | {med('nginx', P50):.2f} / {med('nginx', P99):.2f} | "
      f"{tc:.1f} / {nc:.1f} |")
print()
errs = {n: (sum(r[ERR] for r in v), sum(r[NON2XX] for r in v)) for n, v in by.items()}
print(f"Socket errors / non-2xx over all rounds: tidecast {errs['tidecast'][0]} / {errs['tidecast'][1]}, "
      f"nginx {errs['nginx'][0]} / {errs['nginx'][1]}. tidecast RSS after the run: {rss} kB.")
print()
per_round = statistics.median(t[RPS] / n[RPS] for t, n in zip(by["tidecast"], by["nginx"]))
# Both views of the same rounds must agree before claiming the target.
if tm / nm >= 1.0 and per_round >= 1.0:
    verdict = "met"
elif tm / nm < 1.0 and per_round < 1.0:
    verdict = "NOT met"
else:
    verdict = "inconclusive: the two medians disagree"
print(f"Median ratio tidecast/nginx (req/s): {tm / nm:.2f}× (target ≥ 1.00×: {verdict}); "
      f"median of the per-round ratios: {per_round:.2f}×.")
if tc > 0:
    print(f"Server CPU per request, nginx/tidecast: {nc / tc:.2f}× (> 1 means tidecast spends less CPU per request).")
PY
