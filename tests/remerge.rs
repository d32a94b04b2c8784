//! Merging again follows the inputs (deletions too), and a merge never writes an invalid codebook.

mod common;

use common::{copy_dir, repo, Workdir};
use std::fs;

fn rows(path: &std::path::Path) -> Vec<csv::StringRecord> {
    csv::Reader::from_path(path).unwrap().records().map(|r| r.unwrap()).collect()
}

/// Copies of the Belgian and Portuguese fixture projects, merged into `m`.
fn merged(w: &Workdir) {
    for c in ["be", "pt"] {
        copy_dir(&repo().join(format!("fixtures/first48/{c}")), &w.path(c));
    }
    w.run(&["merge", "be", "pt", "--into", "m"]).ok();
}

#[test]
fn a_coding_deleted_in_an_input_disappears_from_the_merged_project_when_merged_again() {
    let w = Workdir::new();
    merged(&w);
    let before = rows(&w.path("m/codings/fixture.csv"));
    let first = rows(&w.path("be/codings/fixture.csv")).remove(0);
    let target = format!("{}@{}..{}", &first[0], &first[1], &first[2]);
    w.run(&["--project", "be", "uncode", &target, &first[3], "--coder", "fixture"]).ok();
    let r = w.run(&["merge", "be", "pt", "--into", "m"]).ok();
    let after = rows(&w.path("m/codings/fixture.csv"));
    assert_eq!(after.len(), before.len() - 1);
    let gone = |r: &csv::StringRecord| r[0] == first[0] && r[1] == first[1] && r[2] == first[2] && r[3] == first[3];
    assert!(before.iter().any(gone) && !after.iter().any(gone));
    assert!(r.stdout.contains("## first48-be\n\nMerged before: since then 0 coding(s) added and 1 removed in first48-be.\n"), "{}", r.stdout);
    assert!(r.stdout.contains("## first48-pt\n\nMerged before: since then 0 coding(s) added and 0 removed in first48-pt.\n"), "{}", r.stdout);
}

#[test]
fn codings_made_in_the_merged_project_survive_a_new_merge() {
    let w = Workdir::new();
    merged(&w);
    w.run(&["--project", "m", "code", "BE-PR-01:3", "housing", "--coder", "ana"]).ok();
    let ana = fs::read(w.path("m/codings/ana.csv")).unwrap();
    w.run(&["merge", "be", "pt", "--into", "m"]).ok();
    assert_eq!(fs::read(w.path("m/codings/ana.csv")).unwrap(), ana);
    assert_eq!(rows(&w.path("m/codings/ana.csv")).len(), 1);
}

#[test]
fn a_coder_whose_codings_were_all_deleted_in_the_input_has_none_left_after_merging_again() {
    let w = Workdir::new();
    merged(&w);
    assert_eq!(rows(&w.path("m/codings/fixture2.csv")).len(), 114);
    // The Portuguese team drops its reliability coding.
    fs::write(w.path("pt/codings/fixture2.csv"), "source,start,end,code,coder,created,text\n").unwrap();
    w.run(&["merge", "be", "pt", "--into", "m"]).ok();
    assert_eq!(rows(&w.path("m/codings/fixture2.csv")).len(), 0);
}

#[test]
fn an_input_named_with_a_space_gets_a_valid_unaligned_code_id() {
    let w = Workdir::new();
    copy_dir(&repo().join("fixtures/first48/be"), &w.path("be"));
    copy_dir(&repo().join("fixtures/first48/pt"), &w.path("pt"));
    let manifest = fs::read_to_string(w.path("pt/quire.toml")).unwrap().replace("name = \"first48-pt\"", "name = \"qc project\"");
    fs::write(w.path("pt/quire.toml"), manifest).unwrap();
    // A code of its own, without a guid: it cannot be aligned.
    w.run(&["--project", "pt", "codebook", "add", "challenges/own-theme", "--name", "Own theme"]).ok();
    w.run(&["--project", "pt", "code", "PT-PR-01:3", "own-theme", "--coder", "fixture"]).ok();
    let r = w.run(&["merge", "be", "pt", "--into", "m", "--allow-drift"]).ok();
    assert!(r.stdout.contains("- unaligned: `challenges/own-theme` kept as `unaligned/qc-project/challenges/own-theme`"), "{}", r.stdout);
    w.run(&["codebook", "validate", "m/codebook.json"]).ok();
    let shown = w.run(&["--project", "m", "codebook", "show", "unaligned/qc-project", "--format", "json"]).ok().json();
    assert_eq!(shown["name"], "Unaligned codes of qc project");
    let table = w.run(&["--project", "m", "table", "--rows", "code:1", "--format", "csv"]).ok().stdout;
    assert!(table.lines().any(|l| l.starts_with("unaligned,1,Unaligned codes,0,1,1")), "{table}");
}
