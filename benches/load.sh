#!/usr/bin/env bash
# Proxy load benchmark: proxyc against nginx and HAProxy, in the same run, interleaved.
#
# Method (see benches/README.md): on a 2-core machine the origin (one nginx, two server
# blocks on 127.0.0.1:9001/9002) and the load generator share core 0; the proxy under test
# runs alone on core 1 with one worker/thread and listens on 127.0.0.1:8080. Each round
# starts each proxy fresh, warms it up, then measures requests/s, latency, the proxy's CPU
# time per request (from /proc/PID/stat) and its peak RSS (VmHWM). Medians over rounds.
#
# Modes (downstream side; the origins always speak cleartext HTTP/1.1):
#   h1   HTTP/1.1 keep-alive, wrk.
#   h2c  HTTP/2 with prior knowledge over cleartext, h2load -m H2_STREAMS.
#   h2   HTTP/2 over TLS (ALPN h2), h2load -m H2_STREAMS against https://; long-lived
#        connections, so this is HTTP/2 + TLS record cost, the handshakes are negligible.
#   cache  HTTP/1.1 keep-alive like h1, every answer a cache hit: the origins send
#        Cache-Control: max-age=3600, and each proxy caches with its own cache: proxyc
#        `cache main` (in memory), nginx proxy_cache (files, in the page cache), HAProxy's
#        `cache` (in memory), and Varnish (-b to the first origin, built-in VCL, malloc
#        storage), which joins the default proxies in this mode.
#   tls  TLS handshakes/s: every request on a new connection with a full handshake.
#        Generator: CONNECTIONS concurrent `openssl s_time -new -www ...` clients, each a
#        closed loop of connect, full handshake, one GET / (HTTP/1.1, Host, "Connection:
#        close"), read until the proxy closes. Why s_time: it makes a fresh SSL per
#        connection and offers no session or ticket, so every handshake is full. wrk
#        (-H "Connection: close") reconnects per request but keeps its SSL object
#        (SSL_clear), so it offers the previous session: nearly every handshake is a
#        resumption. h2load resumes on reconnects too, and with -D and "Connection: close"
#        it does not stop; with -n = -c (one request per connection) it is one burst per
#        process with the proxy idle between processes. s_time has no latency percentiles
#        or status codes: the report gives the mean time per connection (clients × window
#        / connections), and counts answers shorter than one 200 answer (from the bytes
#        read) as HTTP errors.
#   all  every mode above, one after the other (h1 h2c h2 cache tls), each a run of its own
#        with the same settings, and one report of them all (target/bench/results.md). Where
#        --connections is not given, h2c and h2 use 8 connections × 8 streams (the figures
#        benches/README.md quotes), h1, cache and tls 64 connections (clients).
#   In h2 and tls mode the three proxies serve the same certificate (scripts/dev-certs.sh,
#   EC P-256, made in the run directory), TLS 1.2-1.3, ALPN h2,http/1.1, session cache and
#   tickets on (as proxyc's BoringSSL has them); the clients offer only the TLS 1.3 suite
#   TLS13_CIPHERS (servers pick differently otherwise: HAProxy prefers its own order), and
#   X25519 is the group every side picks by default. The negotiated parameters are in the
#   report.
#
# Usage: benches/load.sh [--proxyc PATH] [--rounds N] [--duration S] [--warmup S]
#                        [--connections N] [--mode h1|h2c|h2|cache|tls|all] [--origins N]
#                        [--proxies "proxyc nginx haproxy"] [--idle-wait S]
# The same settings can come from the environment: PROXYC_BIN, ROUNDS, DURATION, WARMUP,
# CONNECTIONS, MODE, PROXIES, IDLE_WAIT (seconds to wait for a quiet machine before each
# round, 0 = don't), H2_STREAMS (h2c/h2 only, streams per connection), TLS13_CIPHERS (h2/tls,
# the TLS 1.3 suites the clients offer). In tls mode CONNECTIONS is the number of concurrent
# s_time clients. A --proxyc binary for h2/tls must listen https on 127.0.0.1:8080.
# Output: a Markdown table on stdout and in target/bench/results.md; raw logs in
# target/bench/run-<timestamp>/.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"

# ---------------------------------------------------------------- settings
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNECTIONS_GIVEN=${CONNECTIONS:+1}
CONNECTIONS=${CONNECTIONS:-64}
MODE=${MODE:-h1}
H2_STREAMS=${H2_STREAMS:-10}
TLS13_CIPHERS=${TLS13_CIPHERS:-TLS_AES_128_GCM_SHA256}
PROXIES_GIVEN=${PROXIES:+1}
PROXIES=${PROXIES:-proxyc nginx haproxy}
PROXYC_BIN=${PROXYC_BIN:-}
IDLE_WAIT=${IDLE_WAIT:-60}  # seconds to wait for a quiet machine before each round

ORIGINS=${ORIGINS:-2}       # origin servers behind every proxy (127.0.0.1:9001, :9002, ...)
ORIGIN_ADDRS=()
PROXY_ADDR=127.0.0.1:8080
# tls mode's request. s_time sends "GET <-www value> HTTP/1.0\r\n\r\n"; a bare HTTP/1.0 GET
# has no Host, and origins answer 400 when a proxy forwards it as HTTP/1.1 without adding
# one. So the -www value completes an HTTP/1.1 request with Host and "Connection: close",
# and s_time's " HTTP/1.0" ends up as the value of a dummy header.
CRLF=$'\r\n'
TLS_WWW="/ HTTP/1.1${CRLF}Host: $PROXY_ADDR${CRLF}Connection: close${CRLF}X-Bench:"
LOAD_CPU=0   # origin + load generator
PROXY_CPU=1  # proxy under test, alone
BODY_BYTES=1024
START_TIMEOUT_S=30

TARGET_DIR=${CARGO_TARGET_DIR:-target}
[[ $TARGET_DIR == /* ]] || TARGET_DIR=$REPO_ROOT/$TARGET_DIR
BENCH_DIR=$TARGET_DIR/bench
CONF_DIR=$REPO_ROOT/benches/conf
RESULTS_MD=$BENCH_DIR/results.md

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
log() { printf '[load] %s\n' "$*" >&2; }
die() { printf '[load] error: %s\n' "$*" >&2; exit 1; }

parse_args() {
    while [[ $# -gt 0 ]]; do
        case $1 in
            --proxyc) PROXYC_BIN=$2; shift 2 ;;
            --rounds) ROUNDS=$2; shift 2 ;;
            --duration) DURATION=$2; shift 2 ;;
            --warmup) WARMUP=$2; shift 2 ;;
            --connections) CONNECTIONS=$2; CONNECTIONS_GIVEN=1; shift 2 ;;
            --mode) MODE=$2; shift 2 ;;
            --origins) ORIGINS=$2; shift 2 ;;
            --proxies) PROXIES=$2; PROXIES_GIVEN=1; shift 2 ;;
            --idle-wait) IDLE_WAIT=$2; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) usage >&2; die "unknown argument: $1" ;;
        esac
    done
    [[ $MODE =~ ^(h1|h2c|h2|tls|cache|all)$ ]] || die "MODE must be h1, h2c, h2, tls, cache or all, not '$MODE'"
    if [[ $MODE == cache && -z ${PROXIES_GIVEN:-} ]]; then
        PROXIES="proxyc nginx haproxy varnish"
    fi
    local n
    for n in "$ROUNDS" "$DURATION" "$WARMUP" "$CONNECTIONS" "$H2_STREAMS" "$IDLE_WAIT"; do
        [[ $n =~ ^[0-9]+$ ]] || die "not a whole number: '$n'"
    done
    ((ROUNDS >= 1 && DURATION >= 1 && CONNECTIONS >= 1)) || die "rounds, duration, connections must be >= 1"
}

# ---------------------------------------------------------------- processes
# Every process we start is recorded so the EXIT trap can stop it, whatever happens.
STARTED_PIDS=()

# Stops one process: SIGTERM, a bounded wait, then SIGKILL. nginx's master stops its
# workers on SIGTERM; we also kill any child left behind.
stop_pid() {
    local pid=$1 i children
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    children=$(pgrep -P "$pid" 2>/dev/null || true)
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    local c
    for c in $children; do kill -KILL "$c" 2>/dev/null || true; done
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${STARTED_PIDS[@]}"; do
        stop_pid "$pid"
    done
    STARTED_PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() {
    local pid=$1 kept=() p
    for p in "${STARTED_PIDS[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    STARTED_PIDS=("${kept[@]}")
}

# True when something accepts TCP connections on host:port (bash's /dev/tcp, no extra tools).
port_open() {
    local host=${1%:*} port=${1##*:}
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# Waits (bounded) until addr accepts connections while pid is alive.
wait_for_port() {
    local addr=$1 pid=$2 logfile=$3 deadline=$((SECONDS + START_TIMEOUT_S))
    while ((SECONDS < deadline)); do
        port_open "$addr" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$logfile" >&2 || true
            die "process $pid exited before listening on $addr"
        fi
        sleep 0.05
    done
    tail -n 20 "$logfile" >&2 || true
    die "nothing listening on $addr after ${START_TIMEOUT_S}s"
}

# Waits (bounded) until addr is free again, so the next proxy can bind it.
wait_port_free() {
    local addr=$1 i
    for ((i = 0; i < 200; i++)); do
        port_open "$addr" || return 0
        sleep 0.05
    done
    die "$addr still busy after the proxy stopped"
}

# The proxy's process ids: the started one and its direct children (nginx's worker).
proc_tree() {
    local pid=$1
    echo "$pid"
    pgrep -P "$pid" 2>/dev/null || true
}

# Sum of utime+stime (clock ticks) over the given pids. Fields 14 and 15 of /proc/PID/stat,
# counted after the ")" that ends the command name (which may contain spaces).
cpu_ticks() {
    local total=0 pid stat rest
    for pid in "$@"; do
        stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
        rest=${stat##*) }
        # rest starts at field 3 (state); utime is field 14 -> index 11, stime index 12.
        read -r -a f <<<"$rest"
        total=$((total + f[11] + f[12]))
    done
    echo "$total"
}

# Sum of VmHWM (peak resident set, kB) over the given pids.
peak_rss_kb() {
    local total=0 pid kb
    for pid in "$@"; do
        kb=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || kb=0
        total=$((total + ${kb:-0}))
    done
    echo "$total"
}

# Busy clock ticks of one CPU core since boot (/proc/stat: user nice system idle iowait irq
# softirq steal ...; busy = all but idle and iowait). The machine is shared, so comparing
# this with the proxy's own ticks shows whether something else ran on the proxy's core.
core_busy_ticks() {
    awk -v cpu="cpu$1" '$1 == cpu { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# Machine-wide busy percentage over one second (all cores, from /proc/stat).
machine_busy_pct() {
    local a b
    read -r -a a < <(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    sleep 1
    read -r -a b < <(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
    local busy=$((b[0] - a[0])) idle=$((b[1] - a[1]))
    echo $((busy * 100 / (busy + idle > 0 ? busy + idle : 1)))
}

# The machine is shared (builds of others): before a round, wait up to IDLE_WAIT seconds
# for it to be quiet (< 10% busy), so the round measures the proxy and not a compiler.
wait_for_quiet_machine() {
    local tag=$1 deadline=$((SECONDS + IDLE_WAIT)) busy
    ((IDLE_WAIT > 0)) || return 0
    while :; do
        busy=$(machine_busy_pct)
        ((busy < 10)) && return 0
        if ((SECONDS >= deadline)); then
            log "machine still ${busy}% busy after ${IDLE_WAIT}s; measuring $tag anyway"
            return 0
        fi
        log "machine ${busy}% busy (another build?); waiting before $tag"
        sleep 4
    done
}

# ---------------------------------------------------------------- configs
BODY=$(head -c "$BODY_BYTES" /dev/zero | tr '\0' 'x')

# The origin addresses, and the per-origin lines each config template needs (multi-line, so
# they are substituted with perl rather than sed).
set_origins() {
    ORIGIN_ADDRS=()
    local i origin_servers="" upstream_servers="" backend_servers=""
    for ((i = 1; i <= ORIGINS; i++)); do
        local addr=127.0.0.1:$((9000 + i)) cacheable=""
        [[ $MODE == cache ]] && cacheable='add_header Cache-Control "max-age=3600"; '
        ORIGIN_ADDRS+=("$addr")
        origin_servers+="    server { listen $addr backlog=4096; location / { ${cacheable}return 200 \"@BODY@\"; } }"$'\n'
        upstream_servers+="        server $addr;"$'\n'
        backend_servers+="    server origin$i $addr"$'\n'
    done
    local cache_http="" cache_location="" cache_section="" cache_rules=""
    if [[ $MODE == cache ]]; then
        cache_http="    proxy_cache_path @RUN_DIR@/nginx/cache levels=1:2 keys_zone=bench:16m max_size=256m inactive=60m use_temp_path=off;"$'\n'
        cache_location="            proxy_cache bench;"$'\n'
        cache_section=$'cache bench\n    total-max-size 256\n    max-object-size 65536\n    max-age 3600\n\n'
        cache_rules=$'    http-request cache-use bench\n    http-response cache-store bench\n'
    fi
    export ORIGIN_SERVERS=$origin_servers UPSTREAM_SERVERS=$upstream_servers BACKEND_SERVERS=$backend_servers
    export CACHE_HTTP=$cache_http CACHE_LOCATION=$cache_location CACHE_SECTION=$cache_section CACHE_RULES=$cache_rules
}

# Fills @NAME@ placeholders of a template from benches/conf into the run directory.
# Arguments: template, destination, LISTEN_OPTS, BIND_OPTS, and TLS_DIRECTIVES (optional,
# whole lines).
render() {
    local src=$1 dst=$2
    RUN_DIR=$RUN_DIR PROXY_ADDR=$PROXY_ADDR LISTEN_OPTS=$3 BIND_OPTS=$4 TLS_DIRECTIVES=${5:-} \
        BODY=$BODY \
        perl -pe 's/\@(ORIGIN_SERVERS|UPSTREAM_SERVERS|BACKEND_SERVERS|TLS_DIRECTIVES|CACHE_HTTP|CACHE_LOCATION|CACHE_SECTION|CACHE_RULES)\@\n?/$ENV{$1}/g;
                  s/\@(RUN_DIR|PROXY_ADDR|LISTEN_OPTS|BIND_OPTS|BODY)\@/$ENV{$1}/g' \
        "$CONF_DIR/$src" >"$dst"
}

# ---------------------------------------------------------------- TLS (h2 and tls modes)
CERT_DIR=
is_tls_mode() { [[ $MODE == h2 || $MODE == tls ]]; }

# One certificate for all three proxies: api.example.test and 127.0.0.1, EC P-256, from a
# throw-away CA (scripts/dev-certs.sh). HAProxy wants certificate and key in one file.
make_certs() {
    CERT_DIR=$RUN_DIR/certs
    "$REPO_ROOT/scripts/dev-certs.sh" "$CERT_DIR" 2>>"$RUN_DIR/certs.log" \
        || die "scripts/dev-certs.sh failed (see $RUN_DIR/certs.log)"
    cat "$CERT_DIR/api.pem" "$CERT_DIR/api.key" >"$CERT_DIR/api-haproxy.pem"
}

# nginx's server-block lines for TLS. The session cache is on, as HAProxy's (20000 sessions)
# and BoringSSL's (proxyc) are by default; tickets are on everywhere (nginx's default).
nginx_tls_directives() {
    printf '        %s\n' \
        "ssl_certificate $CERT_DIR/api.pem;" \
        "ssl_certificate_key $CERT_DIR/api.key;" \
        "ssl_protocols TLSv1.2 TLSv1.3;" \
        "ssl_session_cache shared:SSL:10m;" \
        "ssl_session_tickets on;"
}

# ---------------------------------------------------------------- origin
ORIGIN_PID=
start_origin() {
    mkdir -p "$RUN_DIR/origin"
    render origin-nginx.conf "$RUN_DIR/origin/nginx.conf" "" ""
    # -e: where nginx logs before it has read the config (default is a system path).
    taskset -c "$LOAD_CPU" nginx -p "$RUN_DIR/origin" -c "$RUN_DIR/origin/nginx.conf" \
        -e "$RUN_DIR/origin/error.log" >"$RUN_DIR/origin/stdout.log" 2>&1 &
    ORIGIN_PID=$!
    STARTED_PIDS+=("$ORIGIN_PID")
    local addr
    for addr in "${ORIGIN_ADDRS[@]}"; do
        wait_for_port "$addr" "$ORIGIN_PID" "$RUN_DIR/origin/error.log"
    done
    local got
    got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 5 "http://${ORIGIN_ADDRS[0]}/") || true
    [[ $got == "200 $BODY_BYTES" ]] || die "origin answered '$got', expected '200 $BODY_BYTES'"
}

# ---------------------------------------------------------------- proxies under test
# Each start_* function starts the proxy pinned to PROXY_CPU and sets PROXY_PID.
PROXY_PID=

start_nginx() {
    local dir=$RUN_DIR/nginx opts="" tls=""
    mkdir -p "$dir"
    case $MODE in
        h2c) opts="http2" ;;
        # nginx 1.22 turns HTTP/2 on with the listen line (`http2 on;` is 1.25.1+). Also in
        # tls mode, so that all three offer ALPN h2,http/1.1; s_time offers no ALPN (HTTP/1.x).
        h2|tls) opts="ssl http2" ;;
    esac
    is_tls_mode && tls=$(nginx_tls_directives)$'\n'
    render proxy-nginx.conf "$dir/nginx.conf" "$opts" "" "$tls"
    taskset -c "$PROXY_CPU" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" \
        >"$dir/stdout.log" 2>&1 &
    PROXY_PID=$!
    PROXY_LOG=$dir/error.log
}

start_haproxy() {
    local dir=$RUN_DIR/haproxy opts=""
    mkdir -p "$dir"
    [[ $MODE == h2c ]] && opts="proto h2"
    if is_tls_mode; then
        opts="ssl crt $CERT_DIR/api-haproxy.pem alpn h2,http/1.1 ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3"
    fi
    render proxy-haproxy.cfg "$dir/haproxy.cfg" "" "$opts"
    # -db: stay in the foreground as a single process (no master/worker, no daemon).
    taskset -c "$PROXY_CPU" haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
    PROXY_PID=$!
    PROXY_LOG=$dir/haproxy.log
}

start_varnish() {
    local dir=$RUN_DIR/varnish
    mkdir -p "$dir"
    # One thread pool (the others' one worker/thread); -F: foreground (manager + child).
    taskset -c "$PROXY_CPU" varnishd -F -a "$PROXY_ADDR" -b "${ORIGIN_ADDRS[0]}" -n "$dir/work" \
        -s malloc,256m -p thread_pools=1 >"$dir/varnish.log" 2>&1 &
    PROXY_PID=$!
    PROXY_LOG=$dir/varnish.log
}

start_proxyc() {
    local dir=$RUN_DIR/proxyc
    mkdir -p "$dir"
    taskset -c "$PROXY_CPU" "$PROXYC_BIN" --threads 1 --no-access-log >"$dir/proxyc.log" 2>&1 &
    PROXY_PID=$!
    PROXY_LOG=$dir/proxyc.log
}

# Finds or builds the proxyc binary; empties PROXYC_BIN (proxyc skipped) when impossible.
# The binary is named per mode and origin count (target/bench/load_balancer-MODE-ORIGINS),
# so runs of different modes do not overwrite each other's.
PROXYC_NOTE=
resolve_proxyc() {
    if [[ -n $PROXYC_BIN ]]; then
        [[ -x $PROXYC_BIN ]] || die "proxyc binary '$PROXYC_BIN' is not an executable file"
        return 0
    fi
    # The CLI only compiles (the program is built in release either way): any profile will do.
    local cli=$TARGET_DIR/release/proxyc example=examples/load_balancer.pxy
    [[ -x $cli ]] || cli=$TARGET_DIR/debug/proxyc
    local out=$BENCH_DIR/load_balancer-$MODE-$ORIGINS
    local program=$RUN_DIR/load_balancer-$MODE-$ORIGINS.pxy
    if [[ ! -f $example ]]; then
        PROXYC_NOTE="proxyc skipped: no $example"
        PROXYC_BIN=
        log "$PROXYC_NOTE"
        return 0
    fi
    cp "$example" "$program"
    if [[ $MODE == cache ]]; then
        # The same program, caching every answer in memory.
        perl -0pi -e 's/\nroute \{/\ncache main { size 256MiB }\n\nroute {\n    cache main/' "$program"
        grep -q '^    cache main$' "$program" || die "no 'route {' in $example to add the cache to"
    fi
    if ((ORIGINS != 2)); then
        # The example balances over two servers; the same program over ORIGINS of them.
        local servers="" i
        for ((i = 1; i <= ORIGINS; i++)); do servers+="    server 127.0.0.1:$((9000 + i))"$'\n'; done
        SERVERS=$servers perl -0pi -e 's/(    server 127\.0\.0\.1:900\d\n)+/$ENV{SERVERS}/' "$program"
    fi
    if is_tls_mode; then
        # The same program behind TLS, with the certificate all three proxies serve
        # (alpn h2, http/1.1 is the default).
        CERT=$CERT_DIR/api.pem KEY=$CERT_DIR/api.key perl -pi -e \
            's{^listen http 127\.0\.0\.1:8080\s*$}{listen https 127.0.0.1:8080 {\n    cert "$ENV{CERT}" key "$ENV{KEY}"\n}\n}' \
            "$program"
        grep -q '^listen https 127\.0\.0\.1:8080 {' "$program" \
            || die "no 'listen http 127.0.0.1:8080' line to turn into TLS in $example"
    fi
    if [[ -x $cli ]]; then
        log "building $program with $cli"
        # Same shared build directory as scripts/test.sh, so the runtime is built once.
        export PROXYC_TARGET_DIR=${PROXYC_TARGET_DIR:-$TARGET_DIR/pxy-build}
        if "$cli" build "$program" -o "$out" >"$RUN_DIR/proxyc-build.log" 2>&1; then
            PROXYC_BIN=$out
            return 0
        fi
        tail -n 30 "$RUN_DIR/proxyc-build.log" >&2 || true
        PROXYC_NOTE="proxyc skipped: \`proxyc build $program\` failed (see $RUN_DIR/proxyc-build.log)"
    elif [[ -x $out ]] && ! is_tls_mode; then
        log "using the previously built $out (no $cli to rebuild it)"
        PROXYC_BIN=$out
        return 0
    elif is_tls_mode; then
        # An earlier TLS build names the certificate of an earlier run directory.
        PROXYC_NOTE="proxyc skipped: no $cli to build it with this run's certificate (give --proxyc PATH, or build the CLI with \`cargo build --release -p proxyc\`)"
    else
        PROXYC_NOTE="proxyc skipped: no binary (give --proxyc PATH or PROXYC_BIN, or build $cli with \`cargo build --release -p proxyc\`)"
    fi
    PROXYC_BIN=
    log "$PROXYC_NOTE"
}

# ---------------------------------------------------------------- load
# Runs the load generator on LOAD_CPU against the proxy for $1 seconds. With $2 = measure,
# leaves "requests duration_us p50_us p99_us socket_errors non_2xx" in LOAD_RESULT (tls
# mode: p50_us is the mean time per connection and p99_us is 0, see run_tls_load).
LOAD_RESULT=
run_load() {
    case $MODE in
        h1|cache) run_wrk "$@" ;;
        h2c|h2) run_h2load "$@" ;;
        tls) run_tls_load "$@" ;;
    esac
}

run_wrk() {
    local seconds=$1 what=$2 out=$3
    local limit=$((seconds + 30))
    timeout -k 5 "$limit" taskset -c "$LOAD_CPU" \
        wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency -s "$CONF_DIR/report.lua" \
        "http://$PROXY_ADDR/" >"$out" 2>&1 || log "wrk exited non-zero (see $out)"
    [[ $what == measure ]] || return 0
    local line
    line=$(grep '^PXY_RESULT ' "$out" | tail -n 1) || die "no result from wrk (see $out)"
    local -A r=()
    local kv
    for kv in ${line#PXY_RESULT }; do r[${kv%%=*}]=${kv#*=}; done
    LOAD_RESULT="${r[requests]} ${r[duration_us]} ${r[p50_us]} ${r[p99_us]} \
$((r[connect] + r[read] + r[write] + r[timeout])) ${r[status]}"
}

# h2c: h2load speaks h2c with prior knowledge to http:// URIs. h2: https://, ALPN h2 (h2load
# offers h2 first), only the TLS 1.3 suites TLS13_CIPHERS.
H2_ALPN=  # the protocol h2load reports having negotiated (h2 mode), for the report
run_h2load() {
    local seconds=$1 what=$2 out=$3
    local limit=$((seconds + 30)) url=http://$PROXY_ADDR/
    local -a tls_opts=()
    if [[ $MODE == h2 ]]; then
        url=https://$PROXY_ADDR/
        tls_opts=(--tls13-ciphers="$TLS13_CIPHERS")
    fi
    # h2load's summary has no percentiles, so the per-request log (start, status, duration
    # µs) gives them.
    local reqlog=$out.requests
    timeout -k 5 "$limit" taskset -c "$LOAD_CPU" \
        h2load -t1 -c"$CONNECTIONS" -m"$H2_STREAMS" -D"$seconds" "${tls_opts[@]}" \
        --log-file="$reqlog" "$url" >"$out" 2>&1 || log "h2load exited non-zero (see $out)"
    [[ $what == measure ]] || { rm -f "$reqlog"; return 0; }
    if [[ $MODE == h2 ]]; then
        H2_ALPN=$(awk -F': ' '/^Application protocol:/ { print $2; exit }' "$out")
        [[ $H2_ALPN == h2 ]] || NOTES+=("h2load negotiated '${H2_ALPN:-nothing}' instead of h2 (see $out)")
    fi
    local secs ndone failed s4xx s5xx pct
    secs=$(awk '/^finished in/ { sub(/s,$/, "", $3); print $3 }' "$out")
    # "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"
    read -r ndone failed < <(awk '/^requests:/ { print $6, $10 }' "$out")
    # "status codes: N 2xx, N 3xx, N 4xx, N 5xx"
    read -r s4xx s5xx < <(awk '/^status codes:/ { print $7, $9 }' "$out")
    [[ -n $secs && -n $ndone && -n $s5xx ]] || die "could not read h2load's summary (see $out)"
    pct=$(cut -f3 "$reqlog" | sort -n | awk '{ a[NR] = $1 }
        END { if (NR == 0) { print "0 0"; exit }
              i50 = int(NR * 0.50); if (i50 < 1) i50 = 1
              i99 = int(NR * 0.99); if (i99 < 1) i99 = 1
              print a[i50], a[i99] }')
    rm -f "$reqlog"
    local dur_us
    dur_us=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000000 }')
    # Same meaning as wrk's counters: failed requests, and 4xx/5xx answers.
    LOAD_RESULT="$ndone $dur_us $pct $failed $((s4xx + s5xx))"
}

# Wall clock in microseconds (bash's EPOCHREALTIME; the decimal point may be a comma).
now_us() { local t=${EPOCHREALTIME//[.,]/}; echo $((10#$t)); }

# s_time runs until the wall clock's whole second passes start + -time, so clients started
# in the same second stop together. Starting just after a second boundary keeps them there.
align_to_second() {
    local us
    us=$(now_us)
    us=$((us % 1000000))
    ((us <= 50000)) || sleep "$(printf '0.%06d' $((1000000 - us + 2000)))"
}

# tls mode: CONNECTIONS concurrent `openssl s_time -new` clients for about $1 seconds (see the
# header for why s_time). Each connects, makes a full handshake (fresh SSL, no session
# offered), sends GET / (TLS_WWW), reads the answer until the proxy closes, and starts over.
# requests = connections made = full handshakes. duration = from the start to the last
# client's end. p50_us holds the mean time per connection (Little's law for a closed loop:
# clients × duration / connections). socket errors: clients that died (s_time stops at its
# first failed connection and prints nothing) plus clients that reported no summary. non-2xx:
# estimated from the bytes read, in units of one 200 answer (TLS_ANSWER_BYTES, measured by
# measure_round with the same request).
TLS_ANSWER_BYTES=0
TLS_END_SPREAD_MS=0
run_tls_load() {
    local seconds=$1 what=$2 out=$3
    local limit=$((seconds + 30)) i
    # Started right after a second boundary, -time T stops at the boundary T+1 s later.
    local maxtime=$((seconds > 1 ? seconds - 1 : 1))
    [[ $what == measure ]] || align_to_second
    local -a pids=()
    local start
    start=$(now_us)
    for ((i = 1; i <= CONNECTIONS; i++)); do
        (
            rc=0
            timeout -k 5 "$limit" taskset -c "$LOAD_CPU" \
                openssl s_time -connect "$PROXY_ADDR" -new -www "$TLS_WWW" -time "$maxtime" \
                -ciphersuites "$TLS13_CIPHERS" >"$out.$i" 2>&1 || rc=$?
            echo "$rc $(now_us)" >"$out.$i.end"
        ) &
        pids+=("$!")
        STARTED_PIDS+=("$!")
    done
    local p
    for p in "${pids[@]}"; do
        wait "$p" || true
        forget_pid "$p"
    done
    local end
    end=$(now_us)
    if [[ $what != measure ]]; then
        rm -f "$out".*
        return 0
    fi
    # Per client: its summary (connections, bytes read), exit status and end time. The raw
    # outputs (minus s_time's line of one "*" per connection) are kept in $out.
    local requests=0 bytes=0 dead=0 n b rc t first_end=0 last_end=0
    : >"$out"
    for ((i = 1; i <= CONNECTIONS; i++)); do
        n='' b='' rc=1 t=$end
        # "N connections in 0.85s; 1849.41 connections/user sec, bytes read B"
        read -r n b < <(awk '/^[0-9]+ connections in [0-9.]+s;/ { print $1, $NF }' "$out.$i") || true
        read -r rc t <"$out.$i.end" || true
        if [[ -z $n || $rc != 0 ]]; then
            dead=$((dead + 1))
        fi
        requests=$((requests + ${n:-0}))
        bytes=$((bytes + ${b:-0}))
        if ((first_end == 0 || t < first_end)); then first_end=$t; fi
        if ((t > last_end)); then last_end=$t; fi
        { echo "client $i: exit $rc, ended at $t"; grep -v '^\**$' "$out.$i" || true; } >>"$out"
    done
    local dur_us=$((last_end - start))
    TLS_END_SPREAD_MS=$(((last_end - first_end) / 1000))
    local mean_us=0 short=0
    ((requests > 0)) && mean_us=$(((CONNECTIONS - dead) * dur_us / requests))
    if ((TLS_ANSWER_BYTES == 0)); then
        short=$requests  # the probe got no 200 answer: none of these counts as one
    elif ((requests * TLS_ANSWER_BYTES > bytes)); then
        short=$(((requests * TLS_ANSWER_BYTES - bytes + TLS_ANSWER_BYTES - 1) / TLS_ANSWER_BYTES))
    fi
    printf 'clients %s, dead %s, connections %s, bytes read %s, one 200 answer %s bytes, window %s us, clients ended within %s ms\n' \
        "$CONNECTIONS" "$dead" "$requests" "$bytes" "$TLS_ANSWER_BYTES" "$dur_us" "$TLS_END_SPREAD_MS" >>"$out"
    rm -f "$out".*
    LOAD_RESULT="$requests $dur_us $mean_us 0 $dead $short"
}

# ---------------------------------------------------------------- one round
CLK_TCK=$(getconf CLK_TCK)
ROUNDS_TSV=
NOTES=()

measure_round() {
    local proxy=$1 round=$2
    local tag="$proxy round $round"
    wait_port_free "$PROXY_ADDR"
    "start_$proxy"
    STARTED_PIDS+=("$PROXY_PID")
    wait_for_port "$PROXY_ADDR" "$PROXY_PID" "$PROXY_LOG"

    # A proxy that answers errors is not fast: check one response before loading it (in the
    # mode's protocol: HTTP version 2 for h2c and h2; TLS verified against the test CA).
    local curl_opts=(-s -o /dev/null -w '%{http_code} %{size_download} %{http_version}' --max-time 5)
    local url=http://$PROXY_ADDR/ version=1.1
    case $MODE in
        h2c) curl_opts+=(--http2-prior-knowledge); version=2 ;;
        h2) curl_opts+=(--http2); version=2 ;;
        tls) curl_opts+=(--http1.1) ;;
    esac
    if is_tls_mode; then
        url=https://$PROXY_ADDR/
        curl_opts+=(--cacert "$CERT_DIR/ca.pem" --tls13-ciphers "$TLS13_CIPHERS")
    fi
    local sanity
    sanity=$(curl "${curl_opts[@]}" "$url") || true
    if [[ $sanity != "200 $BODY_BYTES $version" ]]; then
        NOTES+=("$tag: first response was '$sanity', expected '200 $BODY_BYTES $version' (status, bytes, HTTP version)")
        log "WARNING: $tag answered '$sanity'"
    fi
    is_tls_mode && probe_tls "$proxy" "$round"

    local base=$RUN_DIR/$proxy/round$round
    wait_for_quiet_machine "$tag"
    if ((WARMUP > 0)); then
        run_load "$WARMUP" warmup "$base.warmup.txt"
    fi

    local -a pids
    mapfile -t pids < <(proc_tree "$PROXY_PID")
    # s_time clients stop on whole seconds; start them right after one (before t0, so the
    # wait is not in the measured window).
    [[ $MODE == tls ]] && align_to_second
    local t0 t1 c0 c1
    c0=$(core_busy_ticks "$PROXY_CPU")
    t0=$(cpu_ticks "${pids[@]}")
    run_load "$DURATION" measure "$base.load.txt"
    t1=$(cpu_ticks "${pids[@]}")
    c1=$(core_busy_ticks "$PROXY_CPU")
    local rss
    rss=$(peak_rss_kb "${pids[@]}")
    if ! kill -0 "$PROXY_PID" 2>/dev/null; then
        NOTES+=("$tag: the proxy exited during the load (see $PROXY_LOG); its CPU and RSS are not valid")
        log "WARNING: $tag exited during the load"
    fi

    stop_pid "$PROXY_PID"
    forget_pid "$PROXY_PID"

    local requests dur_us p50 p99 sockerr non2xx
    read -r requests dur_us p50 p99 sockerr non2xx <<<"$LOAD_RESULT"
    # CPU µs per request = ticks × (10⁶ / CLK_TCK) / requests; CPU % of one core over the run.
    local cpu_us=$(((t1 - t0) * 1000000 / CLK_TCK))
    # Time the proxy's core was busy with anything but the proxy (other processes, and
    # interrupt time not charged to the proxy), as a percentage of the measured window.
    local other_pct=$((((c1 - c0) - (t1 - t0)) * 100000000 / (CLK_TCK * dur_us)))
    ((other_pct >= 0)) || other_pct=0
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$proxy" "$round" "$requests" "$dur_us" "$p50" "$p99" "$cpu_us" "$rss" \
        "$sockerr" "$non2xx" "${#pids[@]}" "$other_pct" >>"$ROUNDS_TSV"
    if ((other_pct > 10)); then
        NOTES+=("$tag: the proxy's core was ${other_pct}% busy with other work (shared machine?); this round is suspect")
        log "WARNING: core $PROXY_CPU was ${other_pct}% busy with something other than $proxy"
    fi
    if [[ $MODE == tls ]]; then
        log "$tag: $requests full handshakes in $((dur_us / 1000)) ms, mean ${p50}us per connection," \
            "proxy CPU $((cpu_us / 1000)) ms, peak RSS ${rss} kB, failed clients $sockerr, short answers $non2xx"
    else
        log "$tag: $requests requests in $((dur_us / 1000)) ms, p50 ${p50}us p99 ${p99}us," \
            "proxy CPU $((cpu_us / 1000)) ms, peak RSS ${rss} kB, socket errors $sockerr, non-2xx $non2xx"
    fi
    if ((sockerr > 0 || non2xx > 0)); then
        if [[ $MODE == tls ]]; then
            NOTES+=("$tag: $sockerr s_time clients failed, about $non2xx answers shorter than a 200 answer (see $base.load.txt)")
        else
            NOTES+=("$tag: $sockerr socket errors, $non2xx non-2xx responses")
        fi
    fi
    if [[ $MODE == tls ]] && ((TLS_END_SPREAD_MS > 500)); then
        NOTES+=("$tag: the s_time clients ended ${TLS_END_SPREAD_MS} ms apart (started across a second boundary?); handshakes/s is a little low")
    fi
}

# What the proxy negotiates with the mode's client (openssl s_client offering the same TLS 1.3
# suites, and ALPN h2,http/1.1 in h2 mode): protocol, cipher, key exchange group, ALPN,
# certificate verification; logged once per proxy for the report. In tls mode, also the
# exact size of one answer to the load's request (the same bytes s_time sends, no ALPN) as
# TLS_ANSWER_BYTES, which turns the bytes s_time read into a count of full answers.
declare -A TLS_SEEN=()
probe_tls() {
    local proxy=$1 round=$2 dir=$RUN_DIR/$1
    local -a opts=(-connect "$PROXY_ADDR" -CAfile "$CERT_DIR/ca.pem" -ciphersuites "$TLS13_CIPHERS")
    [[ $MODE == h2 ]] && opts+=(-alpn "h2,http/1.1")
    timeout 10 openssl s_client "${opts[@]}" </dev/null >"$dir/s_client.round$round.txt" 2>&1 || true
    local seen
    seen=$(awk '
        /^New, / { sub(/,$/, "", $2); proto = $2; cipher = $NF }
        /^Server Temp Key:/ { sub(/^Server Temp Key: /, ""); sub(/,.*/, ""); group = $0 }
        /^ALPN protocol:/ { alpn = $3 }
        /^No ALPN negotiated/ { alpn = "none" }
        /^Verify return code:/ { sub(/^Verify return code: /, ""); verify = $0 }
        END { printf "%s %s %s, ALPN %s, verify %s", proto, cipher, group, alpn, verify }
    ' "$dir/s_client.round$round.txt")
    [[ -n ${TLS_SEEN[$proxy]:-} ]] || TLS_SEEN[$proxy]=$seen
    log "$proxy round $round TLS: $seen"
    if [[ $MODE == tls ]]; then
        local answer=$dir/answer.round$round.txt
        printf 'GET %s HTTP/1.0\r\n\r\n' "$TLS_WWW" | timeout 10 openssl s_client -quiet \
            -connect "$PROXY_ADDR" -ciphersuites "$TLS13_CIPHERS" >"$answer" 2>/dev/null || true
        TLS_ANSWER_BYTES=$(wc -c <"$answer")
        local status
        status=$(head -n 1 "$answer" | tr -d '\r')
        if [[ $status != "HTTP/1."[01]" 200 OK" ]] || ((TLS_ANSWER_BYTES < BODY_BYTES)); then
            NOTES+=("$proxy round $round: the load's request got '$status' ($TLS_ANSWER_BYTES bytes, see $answer); all its connections count as short answers")
            log "WARNING: $proxy answered the tls mode's request with '$status'"
            TLS_ANSWER_BYTES=0
        fi
    fi
}

# ---------------------------------------------------------------- report
write_report() {
    local -a proxies=("$@")
    {
        echo "# Proxy load benchmark"
        echo
        echo "- proxyc revision: $(revision)"
        echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), host: $(nproc) cores," \
            "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
        case $MODE in
            h1) echo "- load: wrk HTTP/1.1, 1 thread, $CONNECTIONS connections, pinned to core $LOAD_CPU" ;;
            cache) echo "- load: wrk HTTP/1.1, 1 thread, $CONNECTIONS connections, pinned to core $LOAD_CPU;" \
                "every answer a cache hit (origins send Cache-Control: max-age=3600)" ;;
            h2c) echo "- load: h2load h2c (prior knowledge), 1 thread, $CONNECTIONS connections ×" \
                "$H2_STREAMS streams, pinned to core $LOAD_CPU" ;;
            h2) echo "- load: h2load HTTP/2 over TLS (ALPN ${H2_ALPN:-?}), 1 thread, $CONNECTIONS connections ×" \
                "$H2_STREAMS streams, pinned to core $LOAD_CPU" ;;
            tls) echo "- load: $CONNECTIONS concurrent \`openssl s_time -new\` clients, pinned to core $LOAD_CPU:" \
                "every request (GET /, HTTP/1.1, Connection: close) on a new connection with a full TLS handshake, no resumption;" \
                "handshakes/s = requests/s" ;;
        esac
        if is_tls_mode; then
            echo "- TLS: same certificate for all (EC P-256, scripts/dev-certs.sh), TLS 1.2-1.3," \
                "ALPN h2,http/1.1 offered by all, session cache and tickets on; clients offer $TLS13_CIPHERS." \
                "Negotiated (openssl s_client):"
            local p
            for p in "${proxies[@]}"; do echo "  - $p: ${TLS_SEEN[$p]:-?}"; done
        fi
        echo "- $ROUNDS interleaved round(s) of ${DURATION} s after ${WARMUP} s warm-up;" \
            "order per round: ${proxies[*]}; medians below"
        echo "- origin: nginx 1 worker on core $LOAD_CPU, $ORIGINS servers (${ORIGIN_ADDRS[*]}), ${BODY_BYTES}-byte body;" \
            "proxy on core $PROXY_CPU, one worker/thread"
        local varnish=""
        [[ " ${proxies[*]} " == *" varnish "* ]] && varnish=", $(varnishd -V 2>&1 | head -n 1 | sed 's/.*(\(varnish-[^ ]*\).*/\1/')"
        echo "- versions: $(nginx -v 2>&1 | sed 's/^nginx version: //'), $(haproxy -v | head -n 1 | awk '{ print "HAProxy " $3 }')$varnish${PROXYC_BIN:+, proxyc: $PROXYC_BIN}"
        echo
        python3 "$REPO_ROOT/benches/summarize.py" --mode "$MODE" "$ROUNDS_TSV" "${proxies[@]}"
        if [[ -n $PROXYC_NOTE ]]; then
            echo
            echo "Note: $PROXYC_NOTE"
        fi
        if ((${#NOTES[@]} > 0)); then
            echo
            echo "Warnings:"
            local n
            for n in "${NOTES[@]}"; do echo "- $n"; done
        fi
        echo
        echo "Raw logs: $RUN_DIR"
    } >"$RESULTS_MD"
    cat "$RESULTS_MD"
}

# The checkout's commit, marked `+changes` when the work tree differs from it (what a reader
# needs to find the code a figure was measured on).
revision() {
    local rev
    rev=$(git -C "$REPO_ROOT" rev-parse --short=12 HEAD 2>/dev/null) || { echo "unknown (not a git checkout)"; return; }
    git -C "$REPO_ROOT" diff --quiet HEAD -- 2>/dev/null || rev+=" +changes"
    echo "$rev"
}

# --mode all: this script once per mode (each its own run, as if called with that mode and the
# same settings), then one report of them all.
ALL_MODES=(h1 h2c h2 cache tls)
run_all_modes() {
    local -a args=("$@") reports=() rest=()
    # The same arguments but --mode, which each run gets from MODE.
    while ((${#args[@]} > 0)); do
        if [[ ${args[0]} == --mode ]]; then args=("${args[@]:2}"); else rest+=("${args[0]}"); args=("${args[@]:1}"); fi
    done
    mkdir -p "$BENCH_DIR"
    local m connections streams failed=()
    for m in "${ALL_MODES[@]}"; do
        connections=$CONNECTIONS streams=$H2_STREAMS
        if [[ -z ${CONNECTIONS_GIVEN:-} && ( $m == h2c || $m == h2 ) ]]; then connections=8 streams=8; fi
        log "=== mode $m ==="
        if MODE=$m CONNECTIONS=$connections H2_STREAMS=$streams "${BASH_SOURCE[0]}" "${rest[@]}"; then
            cp "$RESULTS_MD" "$BENCH_DIR/results-$m.md"
            reports+=("$BENCH_DIR/results-$m.md")
        else
            failed+=("$m")
        fi
    done
    {
        echo "# Proxy load benchmark, every mode (${ALL_MODES[*]})"
        echo
        echo "- proxyc revision: $(revision)"
        ((${#failed[@]} == 0)) || echo "- failed modes: ${failed[*]} (see the log above)"
        local r
        for r in "${reports[@]}"; do echo; sed 's/^# /## /' "$r"; done
    } >"$RESULTS_MD"
    cat "$RESULTS_MD"
    ((${#failed[@]} == 0))
}

# ---------------------------------------------------------------- main
check_tools() {
    local t missing=()
    for t in nginx haproxy taskset curl pgrep python3 "$@"; do
        command -v "$t" >/dev/null 2>&1 || missing+=("$t")
    done
    ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (run scripts/setup.sh)"
    (($(nproc) >= 2)) || die "needs 2 cores (origin+load on core $LOAD_CPU, proxy on core $PROXY_CPU)"
}

main() {
    parse_args "$@"
    if [[ $MODE == all ]]; then
        run_all_modes "$@"
        return
    fi
    set_origins
    # Packages only; a missing Rust toolchain just means proxyc may be skipped.
    PROXYC_SETUP_ALLOW_NO_CARGO=1 PROXYC_SETUP_SKIP_PIP=1 "$REPO_ROOT/scripts/setup.sh"
    case $MODE in
        h1) check_tools wrk ;;
        cache) check_tools wrk varnishd ;;
        h2c) check_tools h2load ;;
        h2) check_tools h2load openssl ;;
        tls) check_tools openssl ;;
    esac

    local addr
    for addr in "${ORIGIN_ADDRS[@]}" "$PROXY_ADDR"; do
        ! port_open "$addr" || die "$addr is already in use; stop whatever listens there first"
    done

    RUN_DIR=$BENCH_DIR/run-$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$RUN_DIR"
    ROUNDS_TSV=$RUN_DIR/rounds.tsv
    is_tls_mode && make_certs
    printf 'proxy\tround\trequests\tduration_us\tp50_us\tp99_us\tcpu_us\trss_kb\tsocket_errors\tnon_2xx\tprocesses\tother_busy_pct\n' \
        >"$ROUNDS_TSV"

    # Keep the requested order, dropping proxyc when no binary can be had.
    local -a proxies=()
    local p
    for p in $PROXIES; do
        case $p in
            proxyc) resolve_proxyc; [[ -n $PROXYC_BIN ]] && proxies+=(proxyc) ;;
            nginx|haproxy|varnish) proxies+=("$p") ;;
            *) die "unknown proxy '$p' (known: proxyc nginx haproxy varnish)" ;;
        esac
    done
    ((${#proxies[@]} > 0)) || die "no proxy to benchmark"

    log "mode $MODE, $ROUNDS round(s) × ${DURATION}s (+${WARMUP}s warm-up), $CONNECTIONS connections: ${proxies[*]}"
    start_origin

    local round
    for ((round = 1; round <= ROUNDS; round++)); do
        for p in "${proxies[@]}"; do
            measure_round "$p" "$round"
        done
    done

    write_report "${proxies[@]}"
}

main "$@"
