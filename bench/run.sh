#!/usr/bin/env bash
# Benchmarks at scale, quire beside the Python `qc` CLI (PyPI: qualitative-coding) on the same
# synthetic corpus, in one run. For each N: ingest + index, autocode with the study codebook, a
# filtered quote query (p50/p95 over 100 queries, in one process), a code x country table in
# respondents, a merge of four N/4 projects, and a .qdpx export; peak RSS of each step.
#   bench/run.sh [N ...]            default: 100 1000 10000
# qc runs only up to QC_MAX_N sources (default 1000): it converts every file with pandoc, one
# process each, and takes hours at 10,000.
# Writes bench/results/results.csv (one row per tool, step and N) and bench/results/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
NS=("$@"); [ ${#NS[@]} -gt 0 ] || NS=(100 1000 10000)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/quire-target}"
if [ -z "${QUIRE_BIN:-}" ]; then cargo build --release --quiet; fi
Q="${QUIRE_BIN:-$CARGO_TARGET_DIR/release/quire}"
command -v qc >/dev/null 2>&1 || python3 -m pip install --quiet qualitative-coding >/dev/null 2>&1 || true
# qc converts every imported file with pandoc.
command -v pandoc >/dev/null 2>&1 || { apt-get install -y -qq pandoc >/dev/null 2>&1 || true; }
HAVE_QC=0; command -v qc >/dev/null 2>&1 && HAVE_QC=1
OUT="$ROOT/bench/results"; mkdir -p "$OUT"
CSV="$OUT/results.csv"; echo "tool,step,n,seconds,peak_rss_mb,note" > "$CSV"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT

# measure TOOL STEP N NOTE -- command...: one CSV row with wall time and peak RSS.
measure() {
  local tool=$1 step=$2 n=$3 note=$4; shift 5
  local t="$WORK/time.txt"
  if /usr/bin/time -f '%e %M' -o "$t" "$@" > "$WORK/last.out" 2> "$WORK/last.err"; then
    read -r secs kb < <(tail -1 "$t")
    echo "$tool,$step,$n,$secs,$((kb / 1024)),$note" >> "$CSV"
    echo "  $tool $step: ${secs}s, $((kb / 1024)) MB"
  else
    echo "$tool,$step,$n,,,failed: $(tail -1 "$WORK/last.err" | tr ',' ';')" >> "$CSV"
    echo "  $tool $step: failed: $(tail -1 "$WORK/last.err")"
  fi
}

queries() { # 100 filtered quote queries over the study codebook
  local codes=(housing stigma craving loneliness reduced-dose never-alone free-ost case-management bureaucracy waiting-lists)
  local where=("--where country=BE,FR" "--where role=PR,EPR" "--where gender=F" "--where country=DE --where role=PE" "")
  # Half print the first 20 quotes (as a researcher browsing would), half read every match.
  for i in $(seq 0 99); do
    limit=""; [ $((i % 2)) -eq 0 ] && limit="--limit 20"
    echo "--code ${codes[$((i % 10))]} ${where[$((i % 5))]} $limit"
  done
}

for N in "${NS[@]}"; do
  echo "N = $N"
  D="$WORK/n$N"; mkdir -p "$D"
  "$Q" bench gen --n "$N" --out "$D/corpus" --codebook codebook/first48.json 2>/dev/null
  "$Q" init "$D/p" --codebook codebook/first48.json --language en >/dev/null 2>&1
  measure quire ingest "$N" "" -- "$Q" --project "$D/p" ingest "$D/corpus/transcripts"
  measure quire index "$N" "" -- "$Q" --project "$D/p" index --rebuild
  cp "$D/corpus/bench.csv" "$D/p/codings/bench.csv"
  measure quire autocode "$N" "" -- "$Q" --project "$D/p" autocode
  "$Q" --project "$D/p" index >/dev/null 2>&1
  queries > "$D/queries.txt"
  measure quire query-batch "$N" "100 queries in one process" -- "$Q" --project "$D/p" bench query --queries "$D/queries.txt"
  read -r p50 p95 < <(tail -1 "$WORK/last.out" | awk -F, '{print $2, $3}')
  echo "quire,query-p50,$N,$(awk "BEGIN{print $p50/1000}"),,in-process" >> "$CSV"
  echo "quire,query-p95,$N,$(awk "BEGIN{print $p95/1000}"),,in-process" >> "$CSV"
  measure quire query-cli "$N" "one quire quotes process" -- "$Q" --project "$D/p" quotes --code housing --where country=BE,FR --format csv
  measure quire table "$N" "" -- "$Q" --project "$D/p" table --rows code:2 --cols country --count respondents
  # Four projects of N/4 sources each, merged.
  for k in 0 1 2 3; do
    "$Q" init "$D/q$k" --codebook codebook/first48.json --name "part$k" >/dev/null 2>&1
    mkdir -p "$D/part$k"
    find "$D/corpus/transcripts" -name '*.txt' | sort | awk -v k=$k 'NR % 4 == k' | xargs -I{} cp {} "$D/part$k/"
    "$Q" --project "$D/q$k" ingest "$D/part$k" >/dev/null 2>&1
  done
  measure quire merge "$N" "4 x N/4" -- "$Q" merge "$D/q0" "$D/q1" "$D/q2" "$D/q3" --into "$D/merged"
  if "$Q" export --help 2>/dev/null | grep -q qdpx; then
    measure quire qdpx-export "$N" "" -- "$Q" --project "$D/p" export qdpx "$D/p.qdpx"
  fi

  if [ "$HAVE_QC" = 1 ] && [ "$N" -le "${QC_MAX_N:-1000}" ]; then
    mkdir -p "$D/qc" && (cd "$D/qc" && qc init >/dev/null 2>&1)
    measure qc ingest "$N" "qc corpus import" -- bash -c "cd '$D/qc' && qc corpus import --recursive '$D/corpus/transcripts'"
    if [ -f "$D/p.qdpx" ]; then
      mkdir -p "$D/qci"
      measure qc qdpx-import "$N" "qc init --import (to load codings)" -- bash -c "cd '$D/qci' && qc init --import '$D/p.qdpx'"
      measure qc query-cli "$N" "qc codes find" -- bash -c "cd '$D/qci' && qc codes find challenges/structural/housing"
      measure qc table "$N" "qc codes crosstab" -- bash -c "cd '$D/qci' && qc codes crosstab -r -d 2"
      measure qc qdpx-export "$N" "" -- bash -c "cd '$D/qci' && qc export '$D/qc.qdpx'"
    fi
  fi
done

# Markdown: quire beside qc, with the ratio where both ran the step.
python3 - "$CSV" > "$OUT/results.md" <<'PY'
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
by = collections.defaultdict(dict)
for r in rows:
    by[(r["step"], int(r["n"]))][r["tool"]] = r
print("| step | N | quire s | quire MB | qc s | qc/quire |")
print("|---|---|---|---|---|---|")
for (step, n) in sorted(by, key=lambda k: (k[1], k[0])):
    q, c = by[(step, n)].get("quire"), by[(step, n)].get("qc")
    qs = q["seconds"] if q else ""
    cs = c["seconds"] if c else ""
    ratio = f"{float(cs) / float(qs):.0f}x" if qs and cs and float(qs) > 0 else ""
    print(f"| {step} | {n} | {qs} | {q['peak_rss_mb'] if q else ''} | {cs} | {ratio} |")
failed = [r for r in rows if r["note"].startswith("failed")]
for r in failed:
    print(f"\n- {r['tool']} {r['step']} at N={r['n']}: {r['note']}")
if any(r["tool"] == "qc" and r["step"] == "qdpx-import" for r in failed):
    print("- qc could not import the .qdpx holding the codings, so its query, table and export rows ran on an empty project: those ratios do not compare like with like.")
PY
cat "$OUT/results.md"
