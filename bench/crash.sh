#!/usr/bin/env bash
# Crash-safety soak: runs write commands on copies of a fixture project and kills them with
# SIGKILL after a random delay, RUNS times (default 200); after each kill `quire verify` must pass
# and the codings must be the old set or the new set. Prints a summary; exits 1 on any failure.
#   bench/crash.sh [RUNS]        (QUIRE_BIN=path/to/quire to use a given build)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-200}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire-target}"
if [ -z "${QUIRE_BIN:-}" ]; then
  cargo build --release --quiet
fi
Q="${QUIRE_BIN:-$CARGO_TARGET_DIR/release/quire}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cp -r fixtures "$WORK/fixtures"
sed '0,/^I: /s//I: Uma pergunta nova.\nR: Uma resposta nova.\nI: /' fixtures/first48/pt/sources/PT-PR-01.txt > "$WORK/PT-PR-01.txt"

commands=(
  "code PT-PR-01:3 housing --coder crash"
  "autocode"
  "ingest --replace $WORK/PT-PR-01.txt"
  "codebook rename housing lost-home"
  "merge $WORK/fixtures/first48/be $WORK/fixtures/first48/fr --into . --allow-drift"
)

# The state that counts: every file but derived state, codings without their timestamps.
state() {
  (cd "$1" && find . -path ./.quire -prune -o -type f -print | sort | while read -r f; do
    case "$f" in
      ./codings/*) echo "== $f"; cut -d, -f1-5,7- "$f" ;;
      *) echo "== $f"; cat "$f" ;;
    esac
  done) | sha256sum | cut -d' ' -f1
}

declare -A OLD NEW
for i in "${!commands[@]}"; do
  ref="$WORK/ref$i"; cp -r fixtures/first48/pt "$ref"
  OLD[$i]=$(state "$ref")
  (cd "$ref" && $Q ${commands[$i]} >/dev/null 2>&1)
  NEW[$i]=$(state "$ref")
done

old=0; new=0; fail=0; killed=0
for run in $(seq 1 "$RUNS"); do
  i=$((RANDOM % ${#commands[@]}))
  dir="$WORK/run"; rm -rf "$dir"; cp -r fixtures/first48/pt "$dir"
  delay_ms=$((RANDOM % 120))
  (cd "$dir" && exec $Q ${commands[$i]} >/dev/null 2>&1) &
  pid=$!
  sleep "0.$(printf '%03d' "$delay_ms")"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  if ! (cd "$dir" && $Q verify >/dev/null 2>&1); then
    echo "run $run: verify failed after '${commands[$i]}' killed at ${delay_ms} ms"; fail=$((fail + 1)); continue
  fi
  s=$(state "$dir")
  if [ "$s" = "${OLD[$i]}" ]; then old=$((old + 1));
  elif [ "$s" = "${NEW[$i]}" ]; then new=$((new + 1));
  else echo "run $run: mixed state after '${commands[$i]}' killed at ${delay_ms} ms"; fail=$((fail + 1)); fi
done
echo "runs=$RUNS killed_mid_run=$killed old_state=$old new_state=$new failures=$fail"
[ "$fail" -eq 0 ]
