//! `--dry-run` of `merge`, `import qdpx` and the codebook edits: each prints what would change
//! and leaves the project (and the folder beside it) byte-identical.

mod common;

use common::{project_files, Workdir, COUNTRIES};

const PT: &str = "fixtures/first48/pt";

/// Entries of the work directory (a staging folder left behind would show here).
fn entries(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn fixture_codings(w: &Workdir, project: &str) -> usize {
    csv::Reader::from_path(w.path(&format!("{project}/codings/fixture.csv"))).unwrap().records().count()
}

#[test]
fn merge_dry_run_into_a_new_project_creates_nothing_and_prints_the_report() {
    let w = Workdir::new();
    let inputs: Vec<String> = COUNTRIES.iter().map(|c| format!("fixtures/first48/{c}")).collect();
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(inputs.iter().map(String::as_str));
    args.extend(["--into", "all", "--dry-run"]);
    let before = entries(&w);
    let dry = w.run(&args).exits(0);
    assert_eq!(entries(&w), before, "no project, no staging folder");
    let total: usize = COUNTRIES.iter().map(|c| fixture_codings(&w, &format!("fixtures/first48/{c}"))).sum();
    let second = csv::Reader::from_path(w.path(&format!("{PT}/codings/fixture2.csv"))).unwrap().records().count();
    assert_eq!(
        dry.stderr,
        format!(
            "all: a new project\nsources: 28 new, 0 changed, 0 unchanged\n\
             codings of fixture: {total} added, 0 removed, {total} after the merge\n\
             codings of fixture2: {second} added, 0 removed, {second} after the merge\n\
             merge-report.md: rewritten\n\
             would merge 4 input(s) into all (dry run: nothing written)\n"
        )
    );
    args.pop();
    let real = w.run(&args).ok();
    assert_eq!(dry.stdout, real.stdout, "the dry run prints the report the merge writes");
}

#[test]
fn merge_dry_run_into_an_existing_project_leaves_it_byte_identical() {
    let w = Workdir::new();
    w.run(&["merge", "fixtures/first48/be", "--into", "all"]).ok();
    let before = project_files(&w, "all");
    let r = w.run(&["merge", "fixtures/first48/be", "fixtures/first48/de", "--into", "all", "--dry-run"]).exits(0);
    assert_eq!(project_files(&w, "all"), before);
    let be = fixture_codings(&w, "fixtures/first48/be");
    let de = fixture_codings(&w, "fixtures/first48/de");
    let sources = std::fs::read_dir(w.path("fixtures/first48/de/sources"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "txt"))
        .count();
    let be_sources = std::fs::read_dir(w.path("fixtures/first48/be/sources"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "txt"))
        .count();
    assert!(r.stderr.contains(&format!("sources: {sources} new, 0 changed, {be_sources} unchanged\n")), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("codings of fixture: {de} added, 0 removed, {} after the merge\ncodebook: unchanged\n", be + de)),
        "{}",
        r.stderr
    );
    assert!(r.stderr.ends_with("would merge 2 input(s) into all (dry run: nothing written)\n"), "{}", r.stderr);
}

#[test]
fn import_qdpx_dry_run_creates_nothing_and_reports_what_it_would_import() {
    let w = Workdir::new();
    w.run(&["--project", PT, "export", "qdpx", "pt.qdpx"]).ok();
    let before = entries(&w);
    let dry = w.run(&["import", "qdpx", "pt.qdpx", "--into", "back", "--dry-run"]).exits(0);
    assert_eq!(entries(&w), before, "no project, no staging folder");
    let real = w.run(&["import", "qdpx", "pt.qdpx", "--into", "back"]).ok();
    assert_eq!(dry.stdout, real.stdout, "the same per-source report");
    let summary = |r: &str| r.lines().find(|l| l.contains(" pt.qdpx into back: ")).unwrap().to_string();
    assert_eq!(summary(&dry.stderr), format!("{} (dry run: nothing written)", summary(&real.stderr).replacen("imported", "would import", 1)));
}

#[test]
fn codebook_edit_dry_runs_say_what_would_change_and_write_nothing() {
    let w = Workdir::new();
    let before = project_files(&w, PT);
    let used = |code: &str| {
        ["fixture", "fixture2"]
            .iter()
            .flat_map(|c| csv::Reader::from_path(w.path(&format!("{PT}/codings/{c}.csv"))).unwrap().into_records().map(|r| r.unwrap()))
            .filter(|r| &r[3] == code || r[3].starts_with(&format!("{code}/")))
            .count()
    };
    let housing = used("challenges/structural/housing");
    assert!(housing > 0);
    let r = w.run(&["--project", PT, "codebook", "rename", "housing", "homes", "--dry-run"]).exits(0);
    assert_eq!(
        r.stderr,
        format!(
            "would have renamed challenges/structural/housing (dry run: nothing written)\ncodings: {housing} would move with their code, 0 would be deleted\n"
        )
    );
    let r = w.run(&["--project", PT, "codebook", "remove", "housing", "--force", "--dry-run"]).exits(0);
    assert!(r.stderr.ends_with(&format!("codings: 0 would move with their code, {housing} would be deleted\n")), "{}", r.stderr);
    for args in [
        &["codebook", "add", "challenges/debts", "--name", "Debts", "--dry-run"][..],
        &["codebook", "move", "housing", "--top", "--dry-run"],
        &["codebook", "merge", "housing", "employment-record", "--dry-run"],
    ] {
        let mut all = vec!["--project", PT];
        all.extend_from_slice(args);
        let r = w.run(&all).exits(0);
        assert!(r.stderr.starts_with("would have ") && r.stderr.contains("(dry run: nothing written)"), "{args:?}: {}", r.stderr);
    }
    assert_eq!(project_files(&w, PT), before, "no dry run wrote anything");
    // The same rename for real moves exactly that many.
    let r = w.run(&["--project", PT, "codebook", "rename", "housing", "homes"]).ok();
    assert!(r.stderr.contains(&format!("codings: {housing} moved with their code, 0 deleted")), "{}", r.stderr);
}
