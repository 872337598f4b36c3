#!/usr/bin/env bash
# The README's "main job": compile examples/hello.pxy into a proxy binary, run it, and talk
# to it over HTTP/1.1 and HTTP/2 (h2c prior knowledge). The proxy is always stopped on exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1 && [[ -d ${CARGO_HOME:-$HOME/.cargo}/bin ]]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    export PATH
fi

TARGET=${CARGO_TARGET_DIR:-target}
PROXYC=$TARGET/release/proxyc
OUT_DIR=$TARGET/demo
PROXY_BIN=$OUT_DIR/hello
PROXY_LOG=$OUT_DIR/hello.log
ADDR=127.0.0.1:8080
START_TIMEOUT_S=30

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

PROXY_PID=
stop_proxy() {
    [[ -n $PROXY_PID ]] || return 0
    if kill -0 "$PROXY_PID" 2>/dev/null; then
        kill -TERM "$PROXY_PID" 2>/dev/null || true
        # Give it a bounded grace period, then make sure it is gone.
        local i
        for ((i = 0; i < 50; i++)); do
            kill -0 "$PROXY_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$PROXY_PID" 2>/dev/null || true
    fi
    wait "$PROXY_PID" 2>/dev/null || true
    PROXY_PID=
}
trap stop_proxy EXIT

# Waits until the proxy prints "listening on"; fails if it exits or the deadline passes.
wait_until_listening() {
    local deadline=$((SECONDS + START_TIMEOUT_S))
    while ((SECONDS < deadline)); do
        if grep -q 'listening on' "$PROXY_LOG" 2>/dev/null; then
            return 0
        fi
        kill -0 "$PROXY_PID" 2>/dev/null || {
            cat "$PROXY_LOG" >&2
            die "the proxy exited before it was listening"
        }
        sleep 0.1
    done
    cat "$PROXY_LOG" >&2
    die "the proxy did not print 'listening on' within ${START_TIMEOUT_S}s"
}

main() {
    scripts/setup.sh

    # Generated proxies share one build directory, as in scripts/test.sh.
    PROXYC_TARGET_DIR=${PROXYC_TARGET_DIR:-$PWD/$TARGET/pxy-build}
    export PROXYC_TARGET_DIR

    say "cargo build --release -p proxyc"
    cargo build --release -p proxyc

    say "proxyc build examples/hello.pxy -o $PROXY_BIN"
    mkdir -p "$OUT_DIR"
    "$PROXYC" build examples/hello.pxy -o "$PROXY_BIN"

    say "starting $PROXY_BIN"
    "$PROXY_BIN" >"$PROXY_LOG" 2>&1 &
    PROXY_PID=$!
    wait_until_listening
    cat "$PROXY_LOG"

    say "curl -si http://$ADDR/"
    curl -si --max-time 10 "http://$ADDR/" || die "HTTP/1.1 request failed"
    echo

    say "curl -si --http2-prior-knowledge http://$ADDR/hello/world"
    curl -si --max-time 10 --http2-prior-knowledge "http://$ADDR/hello/world" \
        || die "HTTP/2 (h2c prior knowledge) request failed"
    echo

    say "stopping the proxy (SIGTERM)"
    stop_proxy
}

main "$@"
