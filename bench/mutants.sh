#!/usr/bin/env bash
# A standing mutation check (not part of .ci/run): cargo-mutants changes the code that computes
# the numbers researchers publish — table counting, agreement, REFI-QDA positions, quote queries,
# merge — one mutation at a time, and runs the tests that check those numbers. A mutant that
# survives is a wrong number no test would catch; bench/results/mutants.md keeps the survivors
# with a reason for each one kept.
#   bench/mutants.sh [MINUTES] [FILE ...]     default: 240 minutes over the files below
# It works in a scratch git worktree of HEAD (cargo-mutants --in-place there, so the dependencies
# are built once in a target directory kept across runs, not in a fresh copy per run); cargo's own
# output goes to bench/results/mutants-raw/. On this 2-core machine a mutant takes 1-3 minutes
# (an incremental build and the tests below), so a pass over every file takes several hours.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
MINUTES="${1:-240}"; shift || true
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=(src/agreement.rs src/table/mod.rs src/table/coded.rs src/refi/shape.rs src/refi/landing.rs src/index/mod.rs src/merge/mod.rs)
command -v cargo-mutants >/dev/null 2>&1 || cargo install --locked cargo-mutants
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire-mutants-target}"
WT="$(mktemp -d)/quire-mutants"
git worktree add --detach -q "$WT" HEAD
trap 'git -C "$ROOT" worktree remove --force "$WT"' EXIT
ARGS=()
for f in "${FILES[@]}"; do [ -f "$WT/$f" ] && ARGS+=(--file "$f"); done
# The tests that check these numbers against independent counts; the rest only slow each mutant.
# MUTANT_TESTS narrows them, e.g. MUTANT_TESTS="--lib --test agreement" for src/agreement.rs alone.
read -r -a TESTS <<< "${MUTANT_TESTS:---lib --test table --test agreement --test refi --test refi_export --test refi_import --test coding --test merge}"
rm -rf "$ROOT/bench/results/mutants-raw"
(cd "$WT" && timeout "$((MINUTES * 60))" cargo mutants --in-place "${ARGS[@]}" --output "$ROOT/bench/results/mutants-raw" \
  --timeout-multiplier 3 -- "${TESTS[@]}") || true
echo "caught: $(wc -l < "$ROOT/bench/results/mutants-raw/mutants.out/caught.txt" 2>/dev/null || echo 0)," \
  "missed: $(wc -l < "$ROOT/bench/results/mutants-raw/mutants.out/missed.txt" 2>/dev/null || echo 0)" \
  "(bench/results/mutants-raw/mutants.out/missed.txt)"
