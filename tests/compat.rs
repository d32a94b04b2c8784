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

#[test]
fn demo_builds_the_four_country_projects() {
    let w = Workdir::new();
    let r = w.run(&["demo", "--out", "demo", "--format", "csv"]).ok();
    let sample = r.stdout.split("\n\n").next().unwrap();
    let mut rows = csv::Reader::from_reader(sample.as_bytes());
    let countries: Vec<String> = rows.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(countries, ["BE", "FR", "DE", "PT"]);
    for c in ["be", "fr", "de", "pt"] {
        let listed = w.run(&["--project", &format!("demo/{c}"), "sources", "--format", "json"]).ok().json();
        assert!(listed.as_array().unwrap().len() >= 6, "{c}");
    }
    // The merged project holds every country's codings, and the theme table counts respondents.
    let themes = r.stdout.split("\n\n").nth(1).unwrap();
    let mut table = csv::Reader::from_reader(themes.as_bytes());
    assert_eq!(table.headers().unwrap().iter().collect::<Vec<_>>(), ["theme", "BE", "FR", "DE", "PT", "total"]);
    assert_eq!(table.records().count(), 6);
    let merged = w.run(&["--project", "demo/first48", "sources", "--format", "json"]).ok().json();
    assert_eq!(merged.as_array().unwrap().len(), 27);
    let again = w.run(&["demo", "--out", "demo"]).fails();
    assert!(again.stderr.contains("new or empty directory"), "{}", again.stderr);
}
