#!/usr/bin/env bash
# Idempotent system set-up for a fresh Debian machine (developer, CI, benchmark).
#
# Installs only what is missing, so a second run takes well under a second:
#   - cmake, clang, libclang-dev   BoringSSL (the `boring` crate) builds with them
#   - curl, nghttp2-client, openssl  curl, h2load, nghttp, openssl (test certificates,
#                                  s_client) for end-to-end tests and demos
#   - nginx-light, haproxy, wrk    peers and load generator for benches/load.sh
#   - varnish                      the caching peer of benches/cache-tests.sh
#   - util-linux, procps           taskset, ps, pgrep for pinning and process checks
#   - chromium                     headless browser for the admin status page's test
#   - prometheus                   a real Prometheus server scraping /metrics in e2e_metrics
#   - graphviz                     `dot`, which draws `proxyc routes --format svg`
#   - python3-pip (if pip missing) then grpcio and websockets for gRPC/WebSocket tests
#
# Runs unattended (CI has no stdin). Never leaves a system nginx/haproxy/prometheus/varnish service running:
# benches and tests start their own foreground instances on loopback ports.
#
# Environment:
#   PROXYC_SETUP_ALLOW_NO_CARGO=1   only warn (instead of failing) when cargo is missing;
#                                   benches/load.sh uses it to still measure nginx/HAProxy.
#   PROXYC_SETUP_SKIP_PIP=1         do not touch Python packages.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# Run as root directly, or through sudo when a developer runs it as a normal user.
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot install packages"
    SUDO=(sudo -n)
fi

# Debian packages we want, one per line. nginx is handled separately because any flavour
# (nginx, nginx-light, nginx-core, nginx-full) is fine.
APT_PACKAGES=(
    cmake clang libclang-dev
    curl nghttp2-client openssl
    haproxy wrk
    varnish
    util-linux procps
    chromium
    prometheus
    graphviz
)

# Prints the packages (from the arguments) that dpkg does not report as installed.
missing_debs() {
    local installed
    # One dpkg-query for all of them keeps the "everything present" path fast.
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null \
        | awk '$NF == "installed" { print $1 }') || true
    local p
    for p in "$@"; do
        grep -qx -- "$p" <<<"$installed" || printf '%s\n' "$p"
    done
}

python_has_pip() { python3 -m pip --version >/dev/null 2>&1; }

# A policy-rc.d that answers 101 stops maintainer scripts from starting services (there is no
# systemd here, but sysvinit scripts would still start nginx on port 80). Docker images often
# ship one already; we add ours only when none exists and remove it again afterwards.
POLICY_RC=/usr/sbin/policy-rc.d
CREATED_POLICY_RC=0
remove_policy_rc() {
    if [[ $CREATED_POLICY_RC -eq 1 ]]; then
        "${SUDO[@]}" rm -f "$POLICY_RC" || true
    fi
}

block_service_starts() {
    if [[ ! -e $POLICY_RC ]]; then
        printf '#!/bin/sh\n# added by proxyc scripts/setup.sh during apt-get install\nexit 101\n' \
            | "${SUDO[@]}" tee "$POLICY_RC" >/dev/null
        "${SUDO[@]}" chmod 755 "$POLICY_RC"
        CREATED_POLICY_RC=1
        trap remove_policy_rc EXIT
    fi
}

# In case a service was started anyway (policy-rc.d ignored, or an older install), stop it
# and keep it from starting at boot. Every step may fail harmlessly: there may be no init.
stop_system_service() {
    local svc=$1
    if command -v service >/dev/null 2>&1; then
        "${SUDO[@]}" service "$svc" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
        "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
}

install_debs() {
    local -a want
    mapfile -t want < <(missing_debs "${APT_PACKAGES[@]}")
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || want+=(nginx-light)
    python_has_pip || want+=(python3-pip)

    if [[ ${#want[@]} -eq 0 ]]; then
        return 0
    fi
    log "installing with apt: ${want[*]}"
    block_service_starts
    "${SUDO[@]}" apt-get update -qq
    # Debian bookworm dropped nginx-light in later releases; fall back to nginx.
    if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null; then
        local -a retry=()
        local p
        for p in "${want[@]}"; do
            [[ $p == nginx-light ]] && p=nginx
            retry+=("$p")
        done
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${retry[@]}" >/dev/null \
            || die "apt-get install failed for: ${retry[*]}"
    fi
    local p
    for p in "${want[@]}"; do
        case $p in
            nginx*) stop_system_service nginx ;;
            haproxy) stop_system_service haproxy ;;
            prometheus) stop_system_service prometheus ;;
            varnish) stop_system_service varnish ;;
        esac
    done
}

install_python_packages() {
    [[ ${PROXYC_SETUP_SKIP_PIP:-0} == 1 ]] && return 0
    command -v python3 >/dev/null 2>&1 || { log "warning: no python3; skipping grpcio/websockets"; return 0; }
    if python3 -c 'import grpc, websockets' >/dev/null 2>&1; then
        return 0
    fi
    log "installing Python packages: grpcio websockets"
    local -a pip=(python3 -m pip install --quiet --disable-pip-version-check --no-input)
    # Debian's own python3 is "externally managed" (PEP 668); a pyenv or venv python is not.
    if ! "${pip[@]}" grpcio websockets 2>/dev/null; then
        "${pip[@]}" --break-system-packages grpcio websockets \
            || die "pip could not install grpcio websockets"
    fi
}

check_cargo() {
    # rustup installs into ~/.cargo/bin, which a non-login shell (CI) may not have on PATH.
    if ! command -v cargo >/dev/null 2>&1 && [[ -x ${CARGO_HOME:-$HOME/.cargo}/bin/cargo ]]; then
        log "note: cargo is in ${CARGO_HOME:-$HOME/.cargo}/bin but not on PATH; add it to PATH"
    fi
    if ! command -v cargo >/dev/null 2>&1; then
        if [[ ${PROXYC_SETUP_ALLOW_NO_CARGO:-0} == 1 ]]; then
            log "warning: cargo not found on PATH; Rust builds will be skipped"
            return 0
        fi
        die "cargo not found on PATH. Install the Rust toolchain (rustup) and make sure ~/.cargo/bin is on PATH."
    fi
}

main() {
    command -v dpkg-query >/dev/null 2>&1 || die "this script expects Debian (dpkg/apt)"
    install_debs
    install_python_packages
    check_cargo
}

main "$@"
