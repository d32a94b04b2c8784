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
