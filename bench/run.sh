#!/usr/bin/env bash
# Benchmarks at scale, quire beside the Python `qc` CLI (PyPI: qualitative-coding) on the same
# synthetic corpus, in one run. For each N: ingest + index, autocode with the study codebook, a
# filtered quote query (p50/p95 over 100 queries, in one process), a code x country table in
# respondents, a merge of four N/4 projects, and a .qdpx export; peak RSS of each step.
#   bench/run.sh [N ...]            default: 100 1000 10000
# qc runs only up to QC_MAX_N sources (default 1000): it converts every file with pandoc, one
# process each, and takes hours at 10,000.
# Writes bench/results/results.csv (one row per tool, step and N), results.md and qc-check.md;
# rows of sizes not given are kept from the previous results, so one size can be measured again.
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
# Rows of the sizes this run does not measure are kept from the last results, and so are qc's
# rows (and checks) of sizes where qc does not run this time (QC_MAX_N=0 measures quire alone),
# marked as from an earlier run.
QC_MAX=${QC_MAX_N:-1000}; [ "$HAVE_QC" = 1 ] || QC_MAX=-1
QC_NS=(); for N in "${NS[@]}"; do if [ "$N" -le "$QC_MAX" ]; then QC_NS+=("$N"); fi; done
CSV="$OUT/results.csv"; KEPT="$(mktemp)"; KEPT_CHECKS="$(mktemp)"
if [ -f "$CSV" ]; then
  awk -F, -v OFS=, -v ns=" ${NS[*]} " -v qcmax="$QC_MAX" 'NR > 1 {
    if (index(ns, " " $3 " ") == 0) print
    else if ($1 == "qc" && $3 + 0 > qcmax) {
      if ($6 !~ /from an earlier run/) $6 = $6 (length($6) ? "; " : "") "from an earlier run"
      print
    }
  }' "$CSV" > "$KEPT"
  [ -f "$OUT/qc-check.md" ] && grep -E "^- N=" "$OUT/qc-check.md" | grep -v -E "^- N=($(IFS='|'; echo "${QC_NS[*]:-none}")):" > "$KEPT_CHECKS" || true
fi
{ echo "tool,step,n,seconds,peak_rss_mb,note"; cat "$KEPT"; } > "$CSV"; rm -f "$KEPT"
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
mv "$KEPT_CHECKS" "$WORK/qc-check.md"

# measure TOOL STEP N NOTE [RUNS] -- command...: one CSV row with the wall time and the peak RSS.
# Peak memory comes from one run under /usr/bin/time, which also gives the time of a one-run step.
# With RUNS > 1 the time is the median of RUNS more runs, timed in the shell to the microsecond:
# a step of tens of milliseconds is mostly noise in one run, and the fork of a timer would be a
# tenth of it.
measure() {
  local tool=$1 step=$2 n=$3 note=$4 runs=1
  shift 4
  if [ "$1" != "--" ]; then runs=$1; shift; fi
  shift
  local t="$WORK/time.txt" times=() r t0 t1 kb
  fail() {
    echo "$tool,$step,$n,,,failed: $(tail -1 "$WORK/last.err" | tr ',' ';')" >> "$CSV"
    echo "  $tool $step: failed: $(tail -1 "$WORK/last.err")"
  }
  t0=${EPOCHREALTIME/./}
  /usr/bin/time -f '%M' -o "$t" "$@" > "$WORK/last.out" 2> "$WORK/last.err" || { fail; return; }
  t1=${EPOCHREALTIME/./}
  kb=$(tail -1 "$t")
  if [ "$runs" -eq 1 ]; then
    times=($((t1 - t0)))
  else
    for ((r = 0; r < runs; r++)); do
      t0=${EPOCHREALTIME/./}
      "$@" > "$WORK/last.out" 2> "$WORK/last.err" || { fail; return; }
      t1=${EPOCHREALTIME/./}
      times+=($((t1 - t0)))
    done
  fi
  local median secs
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  secs=$(awk "BEGIN { printf \"%.3f\", $median / 1e6 }")
  [ "$runs" -gt 1 ] && note="${note:+$note; }median of $runs runs"
  echo "$tool,$step,$n,$secs,$((kb / 1024)),$note" >> "$CSV"
  echo "  $tool $step: ${secs}s, $((kb / 1024)) MB${note:+ ($note)}"
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
  # The index and the table cache follow the new codings (quotes and tables would do it on first use).
  measure quire reindex "$N" "index and table cache after autocode" -- "$Q" --project "$D/p" index
  queries > "$D/queries.txt"
  measure quire query-batch "$N" "100 queries in one process" -- "$Q" --project "$D/p" bench query --queries "$D/queries.txt"
  read -r p50 p95 < <(tail -1 "$WORK/last.out" | awk -F, '{print $2, $3}')
  echo "quire,query-p50,$N,$(awk "BEGIN{print $p50/1000}"),,in-process" >> "$CSV"
  echo "quire,query-p95,$N,$(awk "BEGIN{print $p95/1000}"),,in-process" >> "$CSV"
  measure quire query-cli "$N" "one quire quotes process" 5 -- "$Q" --project "$D/p" quotes --code housing --where country=BE,FR --format csv
  measure quire table "$N" "cached units" 5 -- "$Q" --project "$D/p" table --rows code:2 --cols country --count respondents
  # The index follows one edit: code + quotes, 20 cycles, on a copy (bench/incremental.sh; its
  # figures go to bench/results/incremental-index.md).
  QUIRE_BIN="$Q" bash "$ROOT/bench/incremental.sh" --project "$D/p" "$N"
  rm -f "$D/p/.quire/coded-units.bin"
  measure quire table-cold "$N" "no cache: parses every source and coding file" -- "$Q" --project "$D/p" table --rows code:2 --cols country --count respondents
  # Four projects of N/4 sources each, merged.
  for k in 0 1 2 3; do
    "$Q" init "$D/q$k" --codebook codebook/first48.json --name "part$k" >/dev/null 2>&1
    mkdir -p "$D/part$k"
    find "$D/corpus/transcripts" -name '*.txt' | sort | awk -v k=$k 'NR % 4 == k' | xargs -I{} cp {} "$D/part$k/"
    "$Q" --project "$D/q$k" ingest "$D/part$k" >/dev/null 2>&1
  done
  measure quire merge "$N" "4 x N/4" -- "$Q" merge "$D/q0" "$D/q1" "$D/q2" "$D/q3" --into "$D/merged"
  if "$Q" export --help 2>/dev/null | grep -q qdpx; then
    measure quire qdpx-export "$N" "" 5 -- "$Q" --project "$D/p" export qdpx "$D/p.qdpx"
  fi

  if [ "$N" -le "$QC_MAX" ]; then
    mkdir -p "$D/qc" && (cd "$D/qc" && qc init >/dev/null 2>&1)
    measure qc ingest "$N" "qc corpus import" -- bash -c "cd '$D/qc' && qc corpus import --recursive '$D/corpus/transcripts'"
    if [ -f "$D/p.qdpx" ]; then
      # qc's reader reads internal sources from sources/ (as qc's writer and NVivo's export, which
      # qc ships, have it); quire writes Sources/. Rename the folder in a copy (untimed).
      python3 - "$D/p.qdpx" "$D/p-qc.qdpx" <<'PY2'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as zi, zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED) as zo:
    for info in zi.infolist():
        name = info.filename
        zo.writestr("sources/" + name[8:] if name.startswith("Sources/") else name, zi.read(info))
PY2
      mkdir -p "$D/qci"
      measure qc qdpx-import "$N" "qc init --import; two qc reader bugs patched (bench/qc_import.py)" -- bash -c "cd '$D/qci' && python3 '$ROOT/bench/qc_import.py' '$D/p-qc.qdpx'"
      if [ -n "$(tail -1 "$CSV" | cut -d, -f4)" ]; then
        # Did the codings arrive? quire's own count against qc's, in total and for one code.
        q_all=$("$Q" --project "$D/p" verify 2>&1 | sed -n 's/.* \([0-9]*\) coding(s) checked.*/\1/p')
        c_all=$(cd "$D/qci" && qc codes stats -m tsv 2>/dev/null | awk -F'\t' 'NR > 1 { s += $2 } END { print s + 0 }')
        # quire prints a segment once however many coders coded it; qc keeps a line per coder.
        q_h=0
        for coder in $(python3 -c 'import re, sys, zipfile; print(" ".join(re.findall(r"<User [^>]*name=\"([^\"]+)\"", zipfile.ZipFile(sys.argv[1]).read("project.qde").decode())))' "$D/p.qdpx"); do
          k=$("$Q" --project "$D/p" quotes --code housing --coder "$coder" --format csv 2>/dev/null | python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')
          q_h=$((q_h + k))
        done
        c_h=$(cd "$D/qci" && qc codes stats "Housing after release" -m tsv 2>/dev/null | awk -F'\t' 'NR > 1 { s += $2 } END { print s + 0 }')
        # qc has no source or respondent attributes: hand it the documents of each country.
        # (country is a source attribute, so a file list filters exactly as --where country= does.)
        for c in $(sed -n 's/^country: //p' "$D"/corpus/transcripts/*.txt | sort -u); do
          grep -l "^country: $c\$" "$D"/corpus/transcripts/*.txt | xargs -n1 basename > "$D/country-$c.txt"
        done
        cat "$D/country-BE.txt" "$D/country-FR.txt" > "$D/be-fr.txt" 2>/dev/null || true
        measure qc query-cli "$N" "qc codes find 'Housing after release' -f BE+FR files --json" 3 -- bash -c "cd '$D/qci' && qc codes find 'Housing after release' -f '$D/be-fr.txt' -B 0 -C 0 --json"
        c_f=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/last.out" 2>/dev/null || echo "?")
        q_f=$("$Q" --project "$D/p" quotes --code housing --where country=BE,FR --format csv 2>/dev/null | python3 -c 'import csv, sys; print(sum(1 for _ in csv.reader(sys.stdin)) - 1)')
        measure qc table "$N" "qc codes stats -r -a -d 2 -n document; one process per country" 3 -- bash -c "cd '$D/qci' && for f in '$D'/country-*.txt; do echo \"== \$f\"; qc codes stats -r -a -d 2 -n document -f \"\$f\" -m tsv || exit 1; done"
        c_t=$(grep -c $'^\\.  .*\t *[1-9]' "$WORK/last.out" || true)
        measure qc qdpx-export "$N" "" $([ "$N" -le 100 ] && echo 3 || echo 1) -- bash -c "cd '$D/qci' && qc export '$D/qc.qdpx'"
        line="N=$N: codings loaded into qc $c_all of quire's $q_all; housing codings (one per coder and line): qc $c_h, quire $q_h; housing in BE+FR: qc codes find $c_f lines, quire quotes $q_f segments; qc table: $c_t non-zero depth-2 cells"
        echo "  check: $line"
        echo "- $line" >> "$WORK/qc-check.md"
      fi
    fi
  fi
done

# Markdown: quire beside qc, with the ratio where both ran the step (bench/summary.py). The run's
# checks are saved first, so a summary that fails can be made again from the saved files.
cp "$WORK/qc-check.md" "$OUT/qc-check.md"
python3 "$ROOT/bench/summary.py" "$CSV" "$OUT/qc-check.md" > "$OUT/results.md"
cat "$OUT/results.md"
