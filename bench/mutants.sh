#!/usr/bin/env bash
# A standing mutation check (not part of .ci/run): cargo-mutants changes the code that computes
# the numbers researchers publish — table counting, agreement, REFI-QDA positions, quote queries,
# merge — one mutation at a time, and runs the tests that should notice. A mutant that survives
# is a wrong number no test would catch. Results go to bench/results/mutants-raw/ (cargo-mutants'
# own output); bench/results/mutants.md keeps the survivors with a reason for each one kept.
#   bench/mutants.sh [MINUTES]     default 120: the whole run's budget on this 2-core machine
# Each mutant rebuilds the crate and runs the integration tests named below, about 1-3 minutes
# each here, so a full pass over these files takes several hours; --shard lets runs add up.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES="${1:-120}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire-mutants-target}"
command -v cargo-mutants >/dev/null 2>&1 || cargo install --locked cargo-mutants
FILES=(src/table/mod.rs src/table/coded.rs src/agreement.rs src/refi/positions.rs src/refi/shape.rs src/index/mod.rs src/merge/mod.rs)
ARGS=()
for f in "${FILES[@]}"; do [ -f "$f" ] && ARGS+=(--file "$f"); done
# The tests that check these numbers against independent counts; the rest only slow each mutant.
TESTS=(--test table --test agreement --test refi --test coding --test merge --lib)
timeout "$((MINUTES * 60))" cargo mutants "${ARGS[@]}" --output bench/results/mutants-raw \
  --timeout-multiplier 3 --jobs 1 -- "${TESTS[@]}" || true
echo "survivors: bench/results/mutants-raw/mutants.out/missed.txt"
