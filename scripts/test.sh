#!/usr/bin/env bash
# THE test command: what a developer runs before pushing and what CI runs (.ci/run).
#   1. scripts/setup.sh                system packages the tests need (idempotent, fast)
#   2. cargo test                      unit, compile and end-to-end tests (after making the
#                                      throw-away certificates of examples/tls.pxy)
#   3. proxyc test examples/*_test.pxy the examples' own tests, written in .pxy
#   4. cargo fmt --check               formatting
#   5. cargo clippy -D warnings        lints, on tests too
# Any failure stops the run with a non-zero exit.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# rustup's bin directory may be missing from PATH in a non-login shell (CI).
if ! command -v cargo >/dev/null 2>&1 && [[ -d ${CARGO_HOME:-$HOME/.cargo}/bin ]]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    export PATH
fi

scripts/setup.sh

# Colour only when someone is looking at a terminal; CI logs stay plain.
if [[ -z ${CARGO_TERM_COLOR:-} ]]; then
    if [[ -t 1 ]]; then CARGO_TERM_COLOR=always; else CARGO_TERM_COLOR=never; fi
fi
export CARGO_TERM_COLOR

# One target directory for the workspace, and inside it one shared directory where
# `proxyc build` compiles generated proxies, so all end-to-end tests reuse one release
# build of the runtime instead of compiling it once per test.
# Both are made absolute: cargo runs each test binary from its own crate directory, where a
# relative path would point somewhere else.
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s/%s\n' "$PWD" "$1" ;; esac; }
CARGO_TARGET_DIR=$(abspath "${CARGO_TARGET_DIR:-target}")
PROXYC_TARGET_DIR=$(abspath "${PROXYC_TARGET_DIR:-$CARGO_TARGET_DIR/pxy-build}")
export CARGO_TARGET_DIR PROXYC_TARGET_DIR

# No incremental compilation caches: a run of the suite compiles every crate once, and the
# caches were 2.8 GB of a cold run's disk. A developer's own `cargo test` keeps them; set
# CARGO_INCREMENTAL=1 to keep them here too.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}

step() { printf '\n==> %s\n' "$*"; }

# examples/tls.pxy and its tests read throw-away certificates from examples/certs (ignored by
# git; valid two days, so made afresh each run); examples/jwt.pxy and its tests read
# throw-away signing keys from examples/keys (ignored by git too).
step "scripts/dev-certs.sh examples/certs; scripts/dev-keys.sh examples/keys"
scripts/dev-certs.sh examples/certs
scripts/dev-keys.sh examples/keys

step "cargo test --workspace --locked"
cargo test --workspace --locked

# The proxyc that `cargo test` built; test binaries build on the runtime the end-to-end tests
# compiled, in seconds each.
step "proxyc test examples/*_test.pxy"
"$CARGO_TARGET_DIR/debug/proxyc" test examples/*_test.pxy --target-dir "$PROXYC_TARGET_DIR" \
    --junit "$CARGO_TARGET_DIR/pxy-tests.junit.xml"

step "cargo fmt --all -- --check"
cargo fmt --all -- --check

step "cargo clippy --workspace --all-targets --locked -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "all checks passed"
