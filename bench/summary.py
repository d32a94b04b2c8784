#!/usr/bin/env python3
"""bench/results/results.md from results.csv and qc-check.md: quire beside qc, with the ratio where
both ran a step. Run by bench/run.sh at its end; run it alone to redo the summary of a CSV:
    python3 bench/summary.py bench/results/results.csv bench/results/qc-check.md > bench/results/results.md
"""
import csv, os, sys, collections
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
kept = sorted({r["n"] for r in rows if r["tool"] == "qc" and "from an earlier run" in r["note"]}, key=int)
if kept:
    print(f"\n- qc's rows at N = {', '.join(kept)} are from an earlier run of this script (qc was not run again); quire's are from this run.")
failed = [r for r in rows if r["note"].startswith("failed")]
for r in failed:
    print(f"\n- {r['tool']} {r['step']} at N={r['n']}: {r['note']}")
if any(r["tool"] == "qc" and r["step"] == "qdpx-import" for r in failed):
    print("- qc could not import the .qdpx holding the codings, so its query, table and export steps were skipped at that N.")
if any(r["tool"] == "qc" and r["step"] == "qdpx-import" and r["seconds"] for r in rows):
    print("\nqc rows after ingest run on quire's codings, loaded with `qc init --import` "
          "(bench/qc_import.py patches two bugs in qc 1.7.8's REFI-QDA reader: a stray `breakpoint()` "
          "and a position-to-line mapping that put every coding on line 0; the .qdpx's `Sources/` "
          "folder is renamed `sources/`, where qc looks). Checks:\n")
    print(open(sys.argv[2]).read().rstrip() if os.path.exists(sys.argv[2]) else "- (no check recorded)")
    print("\nWhat qc cannot do here, and how its rows differ:\n")
    print("- No source or respondent attributes (qc drops the .qdpx's Variables and Cases): the "
          "country filter is a list of the BE and FR documents passed with `-f`, built by the script "
          "outside the timing; filters on speaker attributes (role, gender) have no qc equivalent.")
    print("- No code x attribute table: the table row is one `qc codes stats -r -a -d 2 -n document` "
          "process per country. It counts documents, not respondents (a focus group is one document), "
          "and its recursive totals add up the children's counts instead of counting distinct documents. "
          "`qc codes crosstab` is a code x code co-occurrence table, not this one.")
    print("- qc codes a whole line, not a span: a coding lands on the line where its selection starts.")
