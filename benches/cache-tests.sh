#!/usr/bin/env bash
# The public HTTP caching test suite (http-tests/cache-tests, the npm package
# `http-cache-tests`, whose results are published at cache-tests.fyi) against proxyc's cache,
# nginx's proxy_cache and Varnish, one after the other, each in front of the suite's own
# origin server. Prints one line per proxy:
#   cache-tests NAME: N passed, M failed
# ("passed": tests passed; "failed": required tests not passed; see cache-tests/summary.mjs)
# and keeps each proxy's JSON results in target/cache-tests/results/NAME.json.
#
# Each proxy caches everything it may with its defaults as shipped, as an operator would
# start it:
#   proxyc   route { cache main proxy origin } with `cache main { size 256MiB }`
#   nginx    proxy_cache with proxy_cache_revalidate on (as the suite's own Docker image)
#   varnish  varnishd -b ORIGIN with its built-in VCL
#
# Usage: benches/cache-tests.sh [--proxies "proxyc nginx varnish"] [--proxyc BINARY]
#        [--baseline FILE]
# --proxyc runs that binary instead of building the program (it must listen on
# 127.0.0.1:$PROXYC_PORT and proxy to the origin on 127.0.0.1:$ORIGIN_PORT).
# --baseline compares proxyc's line with the committed one (benches/cache-tests/baseline.txt)
# and exits 1 when fewer tests pass. Needs node and npm (the suite is installed into
# target/cache-tests on first use) and the packages of scripts/setup.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PROXIES=${PROXIES:-"proxyc nginx varnish"}
PROXYC_BIN=${PROXYC_BIN:-}
BASELINE=""
ORIGIN_PORT=${ORIGIN_PORT:-18000}
PROXYC_PORT=${PROXYC_PORT:-18001}
NGINX_PORT=${NGINX_PORT:-18002}
VARNISH_PORT=${VARNISH_PORT:-18003}
while [[ $# -gt 0 ]]; do
    case $1 in
        --proxies) PROXIES=$2; shift 2 ;;
        --proxyc) PROXYC_BIN=$2; shift 2 ;;
        --baseline) BASELINE=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

log() { printf 'cache-tests: %s\n' "$*" >&2; }
WORK=$ROOT/target/cache-tests
RUN=$WORK/run-$(date +%Y%m%d-%H%M%S)
mkdir -p "$WORK/results" "$RUN"
PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

scripts/setup.sh >&2
command -v npm >/dev/null || { log "npm is needed"; exit 1; }
SUITE=$WORK/node_modules/http-cache-tests
if [[ ! -f $SUITE/cli.mjs ]]; then
    log "installing http-cache-tests into $WORK"
    npm install --prefix "$WORK" --no-audit --no-fund http-cache-tests >&2
fi
SUITE_VERSION=$(node -p "require('$SUITE/package.json').version")

# Waits until something accepts connections on 127.0.0.1:$1 (at most 20 s).
wait_port() {
    local i
    for i in $(seq 1 200); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        sleep 0.1
    done
    log "nothing listens on port $1"; return 1
}

start_origin() {
    (cd "$SUITE" && exec env npm_config_port="$ORIGIN_PORT" npm_config_protocol=http npm_config_pidfile="$RUN/origin.pid" \
        node server/server.mjs) >"$RUN/origin.log" 2>&1 &
    PIDS+=($!)
    wait_port "$ORIGIN_PORT"
}

start_proxyc() {
    local bin=$PROXYC_BIN
    if [[ -z $bin ]]; then
        cat >"$RUN/cache_tests.pxy" <<PXY
listen http 127.0.0.1:$PROXYC_PORT
upstream origin { server 127.0.0.1:$ORIGIN_PORT }
cache main { size 256MiB }
route {
    cache main
    proxy origin
}
PXY
        # proxyc itself in the dev profile (it only compiles); the program in release.
        log "building proxyc and the test program"
        cargo build -q -p proxyc >&2
        "${CARGO_TARGET_DIR:-$ROOT/target}/debug/proxyc" build "$RUN/cache_tests.pxy" \
            -o "$RUN/cache_tests" >&2
        bin=$RUN/cache_tests
    fi
    "$bin" --threads 1 >"$RUN/proxyc.log" 2>&1 &
    PIDS+=($!)
    wait_port "$PROXYC_PORT"
}

start_nginx() {
    mkdir -p "$RUN/nginx/cache" "$RUN/nginx/tmp"
    cat >"$RUN/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
error_log $RUN/nginx/error.log;
pid $RUN/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $RUN/nginx/tmp/body;
    proxy_temp_path $RUN/nginx/tmp/proxy;
    fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
    uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
    scgi_temp_path $RUN/nginx/tmp/scgi;
    proxy_cache_path $RUN/nginx/cache levels=1:2 keys_zone=main:8m max_size=256m inactive=600m;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://127.0.0.1:$ORIGIN_PORT;
            proxy_cache main;
            proxy_cache_revalidate on;
        }
    }
}
CONF
    nginx -c "$RUN/nginx/nginx.conf" -p "$RUN/nginx" >"$RUN/nginx.log" 2>&1 &
    PIDS+=($!)
    wait_port "$NGINX_PORT"
}

start_varnish() {
    mkdir -p "$RUN/varnish"
    varnishd -F -a "127.0.0.1:$VARNISH_PORT" -b "127.0.0.1:$ORIGIN_PORT" -n "$RUN/varnish" \
        -s malloc,256m >"$RUN/varnish.log" 2>&1 &
    PIDS+=($!)
    wait_port "$VARNISH_PORT"
}

version() {
    case $1 in
        proxyc) git -C "$ROOT" describe --always --dirty ;;
        nginx) nginx -v 2>&1 | sed 's/.*nginx\///' ;;
        varnish) varnishd -V 2>&1 | head -1 | sed 's/.*(varnish-\([^ ]*\).*/\1/' ;;
    esac
}

start_origin
log "http-cache-tests $SUITE_VERSION, origin on 127.0.0.1:$ORIGIN_PORT"
status=0
for proxy in $PROXIES; do
    case $proxy in
        proxyc) start_proxyc; port=$PROXYC_PORT ;;
        nginx) start_nginx; port=$NGINX_PORT ;;
        varnish) start_varnish; port=$VARNISH_PORT ;;
        *) log "unknown proxy $proxy"; exit 2 ;;
    esac
    proxy_pid=${PIDS[-1]}
    log "running the suite against $proxy $(version "$proxy") on 127.0.0.1:$port"
    results=$WORK/results/$proxy.json
    (cd "$SUITE" && npm_config_base="http://127.0.0.1:$port" npm_package_config_id="" \
        node --no-warnings cli.mjs) >"$results" 2>"$RUN/$proxy-cli.log"
    line=$(node "$ROOT/benches/cache-tests/summary.mjs" "$SUITE" "$results" "$proxy")
    printf '%s\n' "$line"
    kill "$proxy_pid" 2>/dev/null || true
    wait "$proxy_pid" 2>/dev/null || true
    if [[ $proxy == proxyc && -n $BASELINE ]]; then
        ours=$(head -1 <<<"$line" | sed 's/.*: \([0-9]*\) passed.*/\1/')
        base=$(sed -n 's/^cache-tests proxyc: \([0-9]*\) passed.*/\1/p' "$BASELINE")
        if (( ours < base )); then
            log "proxyc passes $ours tests, the baseline $base"
            status=1
        fi
    fi
done
exit $status
