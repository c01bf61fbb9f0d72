# Shared helpers of the peer comparison scripts (bench/peer_*.sh). Sourced, not run.
# Every process these helpers stop is one the calling script started, by its PID.

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

stop_pid() {  # stop_pid PID NAME: SIGTERM, wait up to 5 s, then SIGKILL; only that PID
  local pid="$1" name="$2"
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "$(basename "$0"): $name (pid $pid) did not stop on SIGTERM; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

cpu_ticks() {  # cpu_ticks PID...: utime+stime (clock ticks) of these processes together
  local total=0 pid t
  for pid in "$@"; do
    t="$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')" || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
CLK_TCK="$(getconf CLK_TCK)"

# remove_tmp RC: deletes $TMP, or keeps it (and says where) after a failure or with KEEP_TMP=1.
remove_tmp() {
  if [[ "${KEEP_TMP:-0}" == 1 || $1 -ne 0 ]]; then
    echo "$(basename "$0"): temp dir kept: $TMP" >&2
  else
    rm -rf "$TMP"
  fi
}

# setup_pinning CLIENT_ROLE: PIN_SERVER / PIN_CLIENT (taskset prefixes) and PINNING (text), from
# SERVER_CPU and CLIENT_CPU; no pinning without taskset or with fewer than 2 CPUs.
setup_pinning() {
  PIN_SERVER=()
  PIN_CLIENT=()
  PINNING="none (taskset missing or fewer than 2 CPUs)"
  if command -v taskset >/dev/null && (( $(nproc) > SERVER_CPU && $(nproc) > CLIENT_CPU )); then
    PIN_SERVER=(taskset -c "$SERVER_CPU")
    PIN_CLIENT=(taskset -c "$CLIENT_CPU")
    PINNING="server(s) on CPU $SERVER_CPU, $1 on CPU $CLIENT_CPU (taskset)"
  fi
}

free_udp_port() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# write_tidecast_config DIR [EXTRA_YAML]: writes DIR/tidecast.yaml for a bench tidecast on
# 127.0.0.1 with fresh ports HTTP_PORT, RTMP_PORT and SRT_PORT (UDP) (set here), its data in
# DIR/data, warnings only, the SRT listener on unless TIDECAST_SRT_ENABLED=false; EXTRA_YAML is appended (rtmp: comes last, so it may start with more
# rtmp keys, indented, before further top-level sections).
write_tidecast_config() {
  local dir="$1" extra="${2:-}"
  HTTP_PORT="$(free_port)"
  RTMP_PORT="$(free_port)"
  SRT_PORT="$(free_udp_port)"
  mkdir -p "$dir/data"
  cat >"$dir/tidecast.yaml" <<EOF
data_dir: $dir/data
log:
  level: warn
srt:
  enabled: ${TIDECAST_SRT_ENABLED:-true}
  listen: 127.0.0.1
  port: $SRT_PORT
http:
  listen: 127.0.0.1
  port: $HTTP_PORT
rtmp:
  listen: 127.0.0.1
  port: $RTMP_PORT
EOF
  if [[ -n "$extra" ]]; then printf '%s\n' "$extra" >>"$dir/tidecast.yaml"; fi
}

port_open() {  # port_open PORT: something accepts connections on 127.0.0.1:PORT
  python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(("127.0.0.1",int(sys.argv[1]))))' "$1"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# wait_port PORT NAME: until the server $SERVER_PID (log $SERVER_LOG) listens on PORT, within
# $READY_DEADLINE_S seconds; dies with the log's tail otherwise.
wait_port() {
  local deadline=$((SECONDS + READY_DEADLINE_S))
  while (( SECONDS < deadline )); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2 || true; die "$2 exited during start-up"; }
    if port_open "$1"; then return 0; fi
    sleep 0.1
  done
  tail -n 20 "$SERVER_LOG" >&2 || true
  die "$2 not listening on $1 within ${READY_DEADLINE_S}s"
}
