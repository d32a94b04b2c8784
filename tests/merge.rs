//! Integration tests for `quire merge` on copies of the four fixture projects.

mod common;

use common::{snapshot, Workdir, COUNTRIES};
use std::fs;

fn rows(path: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path).unwrap().records().map(|r| r.unwrap()).collect()
}

fn inputs() -> Vec<String> {
    COUNTRIES.iter().map(|c| format!("fixtures/first48/{c}")).collect()
}

fn merge_args<'a>(inputs: &'a [String], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["merge"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend_from_slice(extra);
    args
}

#[test]
fn merging_the_four_countries_loses_nothing_and_is_idempotent() {
    let w = Workdir::new();
    let inputs = inputs();
    let r = w.run(&merge_args(&inputs, &["--into", "a/first48"])).ok();
    let expected: usize = COUNTRIES.iter().map(|c| rows(&w.path(&format!("fixtures/first48/{c}/codings/fixture.csv"))).len()).sum();
    let merged = rows(&w.path("a/first48/codings/fixture.csv"));
    assert_eq!(merged.len(), expected, "sum of per-country codings");
    let header = csv::Reader::from_path(w.path("a/first48/codings/fixture.csv")).unwrap().headers().unwrap().clone();
    assert_eq!(header.get(7), Some("origin"));
    for c in COUNTRIES {
        let n = merged.iter().filter(|r| &r[7] == format!("first48-{c}").as_str()).count();
        assert_eq!(n, rows(&w.path(&format!("fixtures/first48/{c}/codings/fixture.csv"))).len(), "{c} keeps its origin");
    }
    let sources =
        fs::read_dir(w.path("a/first48/sources")).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "txt")).count();
    assert_eq!(sources, 28);
    // Their hashes are recorded, and the merged project verifies.
    assert_eq!(fs::read_to_string(w.path("a/first48/sources/SHA256SUMS")).unwrap().lines().count(), 28);
    w.run(&["--project", "a/first48", "verify"]).ok();
    assert!(r.stdout.contains("| first48-de | 7 | 7 | 120 | 96 | 0 | 0 | 0 |"), "{}", r.stdout);
    assert_eq!(fs::read_to_string(w.path("a/first48/merge-report.md")).unwrap(), r.stdout);

    // The same inputs again, elsewhere: byte-identical.
    w.run(&merge_args(&inputs, &["--into", "b/first48"])).ok();
    let strip = |s: std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>| {
        s.into_iter().filter(|(p, _)| !p.starts_with(".quire")).collect::<std::collections::BTreeMap<_, _>>()
    };
    assert_eq!(strip(snapshot(&w.path("a/first48"))), strip(snapshot(&w.path("b/first48"))));
    // Into the existing merged project: nothing twice.
    w.run(&merge_args(&inputs, &["--into", "a/first48"])).ok();
    assert_eq!(rows(&w.path("a/first48/codings/fixture.csv")).len(), expected);
    // The merged project answers quotes across countries.
    let q = w.run(&["--project", "a/first48", "quotes", "--code", "housing", "--format", "json"]).ok().json();
    let countries: std::collections::BTreeSet<&str> = q.as_array().unwrap().iter().map(|h| h["country"].as_str().unwrap()).collect();
    assert!(countries.len() >= 3, "{countries:?}");
}

#[test]
fn a_renamed_code_is_aligned_by_the_mapping_file_and_drift_is_refused() {
    let w = Workdir::new();
    // The Portuguese team renamed `housing` to `habitacao` in its own codebook.
    w.run(&["--project", "fixtures/first48/pt", "codebook", "rename", "housing", "habitacao"]).ok();
    let pt_rows = rows(&w.path("fixtures/first48/pt/codings/fixture.csv"));
    let renamed = pt_rows.iter().filter(|r| &r[3] == "challenges/structural/habitacao").count();
    assert!(renamed > 0);
    let inputs = inputs();
    // A rename keeps the code's REFI guid, so the code is aligned by guid.
    let r = w.run(&merge_args(&inputs, &["--into", "by-guid"])).ok();
    assert!(r.stdout.contains("| first48-pt | 7 | 7 | 237 | 95 | 1 | 0 | 0 |"), "{}", r.stdout);
    // A code the team wrote anew (no shared guid) needs the mapping file.
    let cb_path = w.path("fixtures/first48/pt/codebook.json");
    let mut cb: serde_json::Value = serde_json::from_slice(&fs::read(&cb_path).unwrap()).unwrap();
    let structural = cb["codes"][0]["children"][1]["children"].as_array_mut().unwrap();
    let code = structural.iter_mut().find(|c| c["id"] == "habitacao").unwrap();
    code.as_object_mut().unwrap().remove("guid");
    fs::write(&cb_path, serde_json::to_vec_pretty(&cb).unwrap()).unwrap();
    // Without a mapping, the codebooks differ: refused, nothing written.
    let r = w.run(&merge_args(&inputs, &["--into", "out"])).exits(4);
    assert!(r.stderr.contains("only in the input: challenges/structural/habitacao") && r.stderr.contains("--allow-drift"), "{}", r.stderr);
    assert!(!w.path("out").exists());
    // With the mapping, the code is aligned and its codings land on `housing`.
    w.write("map.csv", "project,from,to\nfirst48-pt,challenges/structural/habitacao,challenges/structural/housing\n");
    let r = w.run(&merge_args(&inputs, &["--into", "out", "--map", "map.csv"])).ok();
    assert!(r.stdout.contains("| first48-pt | 7 | 7 | 237 | 95 | 0 | 1 | 0 |"), "{}", r.stdout);
    let merged = rows(&w.path("out/codings/fixture.csv"));
    let pt_housing = merged.iter().filter(|r| &r[7] == "first48-pt" && &r[3] == "challenges/structural/housing").count();
    assert_eq!(pt_housing, renamed);
    // A mapping naming an unknown code is refused with its row.
    w.write("bad-map.csv", "project,from,to\nfirst48-pt,challenges/structural/habitacao,no-such-code\n");
    let r = w.run(&merge_args(&inputs, &["--into", "out3", "--map", "bad-map.csv"])).exits(3);
    assert!(r.stderr.contains("bad-map.csv:2") && r.stderr.contains("no-such-code"), "{}", r.stderr);
    assert!(!w.path("out3").exists());
    // Mappings saved by a spreadsheet (byte order mark, CRLF line ends, a blank line) read the
    // same, and a bad row is named by its line.
    w.write("map-saved.csv", "\u{feff}project,from,to\r\nfirst48-pt,challenges/structural/habitacao,challenges/structural/housing\r\n");
    let r = w.run(&merge_args(&inputs, &["--into", "out-saved", "--map", "map-saved.csv"])).ok();
    assert!(r.stdout.contains("| first48-pt | 7 | 7 | 237 | 95 | 0 | 1 | 0 |"), "{}", r.stdout);
    w.write("bad-map-saved.csv", "\u{feff}project,from,to\r\n\r\nfirst48-pt,challenges/structural/habitacao,no-such-code\r\n");
    let r = w.run(&merge_args(&inputs, &["--into", "out3", "--map", "bad-map-saved.csv"])).exits(3);
    assert!(r.stderr.contains("bad-map-saved.csv:3: ") && r.stderr.contains("no-such-code"), "{}", r.stderr);
    // With --allow-drift and no mapping, the code is kept under unaligned/<project>/.
    let r = w.run(&merge_args(&inputs, &["--into", "out2", "--allow-drift"])).ok();
    assert!(
        r.stdout.contains("unaligned: `challenges/structural/habitacao` kept as `unaligned/first48-pt/challenges/structural/habitacao`"),
        "{}",
        r.stdout
    );
    let merged = rows(&w.path("out2/codings/fixture.csv"));
    assert_eq!(merged.iter().filter(|r| r[3].starts_with("unaligned/first48-pt/")).count(), renamed);
    w.run(&["codebook", "validate", "out2/codebook.json"]).ok();
}

#[test]
fn colliding_source_ids_are_refused_with_both_origins() {
    let w = Workdir::new();
    common::copy_dir(&w.path("fixtures/first48/be"), &w.path("be2"));
    let src = fs::read_to_string(w.path("be2/sources/BE-PR-01.txt")).unwrap();
    fs::write(w.path("be2/sources/BE-PR-01.txt"), src.replacen("\nR: ", "\nR: Anders. ", 1)).unwrap();
    let r = w.run(&["merge", "fixtures/first48/be", "be2", "--into", "out"]).exits(3);
    assert!(r.stderr.contains("BE-PR-01") && r.stderr.contains("fixtures/first48/be") && r.stderr.contains("be2"), "{}", r.stderr);
    assert!(!w.path("out").exists());
}

#[test]
fn bad_input_leaves_an_existing_merged_project_byte_for_byte_unchanged() {
    let w = Workdir::new();
    let inputs = inputs();
    w.run(&merge_args(&inputs[..2], &["--into", "out"])).ok();
    let before = snapshot(&w.path("out"));
    // A mapping naming an unknown code; a colliding source; a drifted codebook without --allow-drift.
    w.write("bad-map.csv", "project,from,to\n,x,no-such-code\n");
    w.run(&merge_args(&inputs[2..], &["--into", "out", "--map", "bad-map.csv"])).exits(3);
    assert_eq!(snapshot(&w.path("out")), before);
    common::copy_dir(&w.path("fixtures/first48/be"), &w.path("be2"));
    let src = fs::read_to_string(w.path("be2/sources/BE-PR-01.txt")).unwrap();
    fs::write(w.path("be2/sources/BE-PR-01.txt"), src.replacen("\nR: ", "\nR: Anders. ", 1)).unwrap();
    w.run(&["merge", "be2", "--into", "out"]).exits(3);
    assert_eq!(snapshot(&w.path("out")), before);
    w.run(&["--project", "be2", "codebook", "rename", "housing", "woning"]).ok();
    let cb = w.path("be2/codebook.json");
    let text = fs::read_to_string(&cb).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["codes"][0]["children"][1]["children"][0].as_object_mut().unwrap().remove("guid");
    fs::write(&cb, serde_json::to_vec_pretty(&json).unwrap()).unwrap();
    fs::write(w.path("be2/sources/BE-PR-01.txt"), &src).unwrap();
    let r = w.run(&["merge", "be2", "--into", "out"]).exits(4);
    assert!(r.stderr.contains("--allow-drift"), "{}", r.stderr);
    assert_eq!(snapshot(&w.path("out")), before);
}
