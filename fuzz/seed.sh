#!/usr/bin/env bash
# Seeds fuzz/corpus/check from the example and test programs (run from anywhere; idempotent).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus/check"
mkdir -p "$corpus"
n=0
for f in "$root"/examples/*.pxy "$root"/tests/programs/invalid/*.pxy "$root"/tests/programs/fuzz_regressions/*.pxy; do
    [ -f "$f" ] || continue
    cp "$f" "$corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
    n=$((n + 1))
done
echo "seeded $n files into $corpus"
