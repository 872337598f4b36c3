#!/usr/bin/env bash
# Latency of normal clients before and during a slowloris attack on a proxyc binary.
#
# Method: the origin (nginx, 127.0.0.1:9001/9002, 1 KiB answers), wrk and the attackers share
# core 0; the proxy (examples/load_balancer.pxy, one thread, no access log) runs alone on
# core 1. wrk measures WRK_CONNECTIONS keep-alive connections for DURATION seconds with
# the proxy otherwise idle ("before"), then again while benches/slowloris.py holds
# SLOW_CONNECTIONS connections open, each sending a request head one byte every
# SLOW_INTERVAL seconds and reconnecting as soon as the proxy closes it ("during"; wrk
# starts once the crowd has been at full size for longer than the header timeout, so
# closes and reconnects are happening throughout). Reports wrk's requests/s, p50 and p99,
# the proxy's CPU time per request (from /proc/PID/stat), how long the proxy let slow
# connections live, and the proxy's reject counters.
#
# Usage: benches/slowloris.sh, with nothing else (no build, no other benchmark) running on the
# machine. Settings from the environment: PROXYC_BIN (a built load_balancer; else
# built with this tree's proxyc), DURATION (20), WRK_CONNECTIONS (16),
# SLOW_CONNECTIONS (1000), SLOW_INTERVAL (2), HEADER_TIMEOUT (10, the proxy's
# --header-read-timeout). Output: a Markdown summary on stdout; logs in
# target/bench/slowloris-<timestamp>/.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

DURATION=${DURATION:-20}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-16}
SLOW_CONNECTIONS=${SLOW_CONNECTIONS:-1000}
SLOW_INTERVAL=${SLOW_INTERVAL:-2}
HEADER_TIMEOUT=${HEADER_TIMEOUT:-10}
PROXYC_BIN=${PROXYC_BIN:-}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO_ROOT/$TARGET_DIR
RUN_DIR=$TARGET_DIR/bench/slowloris-$(date +%Y%m%d-%H%M%S)
PROXY=127.0.0.1:8080
ADMIN=127.0.0.1:9900
mkdir -p "$RUN_DIR"

log() { printf '[slowloris] %s\n' "$*" >&2; }
die() { printf '[slowloris] error: %s\n' "$*" >&2; exit 1; }

for n in "$DURATION" "$WRK_CONNECTIONS" "$SLOW_CONNECTIONS" "$HEADER_TIMEOUT"; do
    [[ $n =~ ^[0-9]+$ ]] || die "not a whole number: '$n'"
done
for tool in nginx wrk python3 taskset curl; do
    command -v "$tool" >/dev/null || die "$tool is missing (scripts/setup.sh installs it)"
done

STARTED_PIDS=()
cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
wait_for_port() {
    local deadline=$((SECONDS + 30))
    until port_open "$1"; do
        ((SECONDS < deadline)) || die "nothing listening on $1 after 30 s"
        sleep 0.05
    done
}

# ---- the proxy binary
if [[ -z $PROXYC_BIN ]]; then
    # Built every time: the target directory may be shared with other worktrees, and the
    # CLI embeds the runtime's sources, so the binary there may not be this tree's.
    cargo build --release -p proxyc
    cli=$TARGET_DIR/release/proxyc
    PROXYC_BIN=$TARGET_DIR/bench/slowloris-lb
    log "building examples/load_balancer.pxy"
    "$cli" build examples/load_balancer.pxy -o "$PROXYC_BIN" >"$RUN_DIR/build.log" 2>&1 ||
        { tail -n 30 "$RUN_DIR/build.log" >&2; die "proxyc build failed"; }
fi

# ---- the origin
mkdir -p "$RUN_DIR/origin"
BODY=$(head -c 1024 /dev/zero | tr '\0' 'x')
cat >"$RUN_DIR/origin/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $RUN_DIR/origin/nginx.pid;
error_log $RUN_DIR/origin/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    default_type text/plain;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    client_body_temp_path $RUN_DIR/origin/client_body;
    proxy_temp_path $RUN_DIR/origin/proxy;
    server { listen 127.0.0.1:9001 backlog=4096; location / { return 200 "$BODY"; } }
    server { listen 127.0.0.1:9002 backlog=4096; location / { return 200 "$BODY"; } }
}
EOF
taskset -c 0 nginx -p "$RUN_DIR/origin" -c "$RUN_DIR/origin/nginx.conf" \
    -e "$RUN_DIR/origin/error.log" >"$RUN_DIR/origin/stdout.log" 2>&1 &
STARTED_PIDS+=("$!")
wait_for_port 127.0.0.1:9001
wait_for_port 127.0.0.1:9002

# ---- the proxy
taskset -c 1 "$PROXYC_BIN" --threads 1 --no-access-log --admin "$ADMIN" \
    --header-read-timeout "$HEADER_TIMEOUT" >"$RUN_DIR/proxy.log" 2>&1 &
PROXY_PID=$!
STARTED_PIDS+=("$PROXY_PID")
wait_for_port "$PROXY"
wait_for_port "$ADMIN"

# utime + stime of the proxy, in clock ticks (fields 14 and 15 of /proc/PID/stat).
proxy_ticks() {
    local stat rest
    stat=$(cat "/proc/$PROXY_PID/stat")
    rest=${stat##*) }
    read -r -a f <<<"$rest"
    echo $((f[11] + f[12]))
}
# Runs wrk for $1 seconds into $2, and records the proxy's CPU ticks over the run in $2.ticks.
run_wrk() {
    local before
    before=$(proxy_ticks)
    taskset -c 0 wrk -t1 -c"$WRK_CONNECTIONS" -d"$1"s --latency "http://$PROXY/" >"$2" 2>&1
    echo $(($(proxy_ticks) - before)) >"$2.ticks"
}
# The proxy's CPU microseconds per request over a wrk run (all its work, the attack's too).
cpu_us() {
    local requests ticks hz
    requests=$(awk '/requests in/ { print $1 }' "$1")
    ticks=$(cat "$1.ticks")
    hz=$(getconf CLK_TCK)
    awk -v t="$ticks" -v hz="$hz" -v n="$requests" 'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }'
}
# wrk's "--latency" distribution: the value on the "99%" line, in ms.
percentile_ms() {
    awk -v p="$2" '$1 == p {
        v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[a-z]+$/, "", v)
        if (unit == "us") v /= 1000; else if (unit == "s") v *= 1000
        printf "%.2f", v }' "$1"
}
rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
errors() { awk '/Non-2xx|Socket errors/ { $1 = $1; print }' "$1" | paste -sd ';' -; }

log "warm-up"
run_wrk 2 "$RUN_DIR/warmup.txt"
log "before: wrk ${DURATION}s, $WRK_CONNECTIONS connections"
run_wrk "$DURATION" "$RUN_DIR/before.txt"

log "attack: $SLOW_CONNECTIONS slow connections, a byte every ${SLOW_INTERVAL}s"
attack_s=$((HEADER_TIMEOUT + 5 + DURATION + 5))
taskset -c 0 python3 benches/slowloris.py --port "${PROXY##*:}" \
    --connections "$SLOW_CONNECTIONS" --interval "$SLOW_INTERVAL" --duration "$attack_s" \
    >"$RUN_DIR/slowloris.json" 2>"$RUN_DIR/slowloris.log" &
slow_pid=$!
STARTED_PIDS+=("$slow_pid")
sleep $((HEADER_TIMEOUT + 5))
open_during=$(curl -s --max-time 5 "http://$ADMIN/metrics" | awk '/^pxy_downstream_open_connections / { print $2 }')
log "during: wrk ${DURATION}s with ${open_during:-?} client connections open"
run_wrk "$DURATION" "$RUN_DIR/during.txt"
wait "$slow_pid" || die "the slowloris client failed (see $RUN_DIR/slowloris.log)"
curl -s --max-time 5 "http://$ADMIN/metrics" | grep '^pxy_downstream' >"$RUN_DIR/metrics.txt" || true

cat <<EOF
## slowloris: $SLOW_CONNECTIONS connections, a byte every ${SLOW_INTERVAL}s, --header-read-timeout $HEADER_TIMEOUT

| wrk (${WRK_CONNECTIONS} connections, ${DURATION}s) | requests/s | p50 ms | p99 ms | proxy CPU µs/request | errors |
|---|---:|---:|---:|---:|---|
| before | $(rps "$RUN_DIR/before.txt") | $(percentile_ms "$RUN_DIR/before.txt" 50%) | $(percentile_ms "$RUN_DIR/before.txt" 99%) | $(cpu_us "$RUN_DIR/before.txt") | $(errors "$RUN_DIR/before.txt") |
| during | $(rps "$RUN_DIR/during.txt") | $(percentile_ms "$RUN_DIR/during.txt" 50%) | $(percentile_ms "$RUN_DIR/during.txt" 99%) | $(cpu_us "$RUN_DIR/during.txt") | $(errors "$RUN_DIR/during.txt") |

The attackers run on wrk's core (core 0): part of the change "during" is wrk and the origin
sharing their core with a Python client, not the proxy; the proxy's CPU per request shows
what the attack costs the proxy itself.

- client connections open when wrk started during the attack: ${open_during:-?}
- slow connections (opened, closed by the proxy, lifetimes): $(cat "$RUN_DIR/slowloris.json")
- proxy counters after the attack: $(paste -sd ';' "$RUN_DIR/metrics.txt")
- logs: $RUN_DIR
EOF
