//! Files written by earlier on-disk format versions must keep opening.

mod common;

use common::{copy_dir, repo, Workdir};

#[test]
fn a_format_1_project_opens_and_reads() {
    let w = Workdir::new();
    copy_dir(&repo().join("tests/compat/v1"), &w.path("v1"));
    let listed = w.run(&["--project", "v1", "sources", "--format", "json"]).ok().json();
    assert_eq!(listed[0]["source"], "BE-X-01");
    assert_eq!(listed[0]["segments"], 3);
    let shown = w.run(&["--project", "v1", "show", "BE-X-01", "--respondents"]).ok().stdout;
    assert!(shown.contains("BE-X-01:2  R (EPR, M, BE)"), "{shown}");
    let code = w.run(&["--project", "v1", "codebook", "show", "housing", "--format", "json"]).ok().json();
    assert_eq!(code["path"], "challenges/housing");
    // Re-ingesting the stored canonical file is a no-op: the canonical form has not changed.
    let again = w.run(&["--project", "v1", "ingest", "v1/sources"]).ok();
    assert!(again.stderr.contains("1 unchanged"), "{}", again.stderr);
}

/// Codebook format 2 adds folders (`"codable": false`); it is written only when a folder exists.
#[test]
fn a_format_2_codebook_with_a_folder_opens_and_goes_back_to_format_1_without_it() {
    let w = Workdir::new();
    copy_dir(&repo().join("tests/compat/v2-folders"), &w.path("v2"));
    let folder = w.run(&["--project", "v2", "codebook", "show", "challenges", "--format", "json"]).ok().json();
    assert_eq!(folder["codable"], false);
    let r = w.run(&["--project", "v2", "code", "BE-X-01:2", "challenges"]).exits(2);
    assert_eq!(r.status, 2);
    w.run(&["--project", "v2", "code", "BE-X-01:2", "housing"]).ok();
    // Without its folder, the codebook is written as format 1 again, readable by older builds.
    w.run(&["--project", "v2", "codebook", "add", "other", "--name", "Other"]).ok();
    assert!(std::fs::read_to_string(w.path("v2/codebook.json")).unwrap().starts_with("{\n  \"format\": 2,"));
    // A code merged into a folder would make its codings codings of the folder: refused.
    let r = w.run(&["--project", "v2", "codebook", "merge", "other", "challenges"]).exits(2);
    assert_eq!(
        r.stderr,
        "quire: cannot merge `other` into `challenges`: `challenges` is a folder: it groups codes but cannot be applied; \
apply one of its codes instead (challenges/housing)\n"
    );
    w.run(&["--project", "v2", "codebook", "merge", "challenges", "other"]).ok();
    let json = std::fs::read_to_string(w.path("v2/codebook.json")).unwrap();
    assert!(json.starts_with("{\n  \"format\": 1,") && !json.contains("codable"), "{json}");
}
