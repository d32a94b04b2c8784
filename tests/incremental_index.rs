//! The index follows each edit in place: after a code, an uncode, an `ingest --replace`, a sheet
//! import and a new coder's coding, `quire index` re-indexes only the source edited, and quotes
//! and tables are exactly those of a full rebuild of the same project.

mod common;

use common::{copy_dir, Workdir};

/// What `quotes` (every coder's, and the analysis coders') and `table` print in `project`.
fn outputs(w: &Workdir, project: &str) -> Vec<String> {
    let runs: [&[&str]; 4] = [
        &["quotes", "--format", "json"],
        &["quotes", "--coder", "all", "--format", "json"],
        &["quotes", "--code", "housing", "--limit", "5", "--format", "csv"],
        &["table"],
    ];
    runs.iter().map(|args| w.run(&[&["--project", project][..], args].concat()).ok().stdout).collect()
}

/// `quire index` in `pt` re-indexes exactly one source, and what it then answers equals what a
/// copy answers after `index --rebuild`.
fn assert_one_source_updated_as_a_rebuild(w: &Workdir, step: &str) {
    let note = w.run(&["--project", "pt", "index"]).ok().stderr;
    assert_eq!(note, "index updated (1 source(s) re-indexed): 251 segments\n", "{step}");
    let copy = format!("rebuilt-{}", step.replace(' ', "-"));
    copy_dir(&w.path("pt"), &w.path(&copy));
    assert_eq!(w.run(&["--project", &copy, "index", "--rebuild"]).ok().stderr, "index rebuilt: 251 segments\n", "{step}");
    assert_eq!(outputs(w, "pt"), outputs(w, &copy), "{step}: the updated index answers as a rebuilt one");
}

/// The sheet of one source with `codes` written into the row of its respondent segment `row`.
fn filled_sheet(w: &Workdir, source: &str, row: usize, codes: &str) -> String {
    let sheet = w.run(&["--project", "pt", "sheet", "export", "--source", source]).ok().stdout;
    let mut r = csv::Reader::from_reader(sheet.as_bytes());
    let headers = r.headers().unwrap().clone();
    let at = headers.iter().position(|h| h == "codes").unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for (i, rec) in r.records().enumerate() {
        let mut v: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if i == row {
            v[at] = codes.to_string();
        }
        out.write_record(&v).unwrap();
    }
    w.write("sheet.csv", out.into_inner().unwrap());
    "../sheet.csv".to_string()
}

#[test]
fn each_edit_re_indexes_only_its_source_and_answers_as_a_rebuild_would() {
    let w = Workdir::new();
    copy_dir(&w.path("fixtures/first48/pt"), &w.path("pt"));
    assert_eq!(w.run(&["--project", "pt", "index"]).ok().stderr, "index rebuilt: 251 segments\n");
    assert_eq!(w.run(&["--project", "pt", "index"]).ok().stderr, "index up to date: 251 segments\n");

    w.run(&["--project", "pt", "code", "PT-PR-01:3", "housing"]).ok();
    assert_one_source_updated_as_a_rebuild(&w, "code");

    w.run(&["--project", "pt", "uncode", "PT-PR-01:3", "housing"]).ok();
    assert_one_source_updated_as_a_rebuild(&w, "uncode");

    let original = std::fs::read_to_string(w.path("pt/sources/PT-PE-01.txt")).unwrap();
    let edited = original.replacen("\nR: ", "\nR: Bem, ", 1);
    assert_ne!(edited, original);
    w.write("edited/PT-PE-01.txt", edited);
    w.run(&["--project", "pt", "ingest", "--replace", "edited/PT-PE-01.txt"]).ok();
    assert_one_source_updated_as_a_rebuild(&w, "ingest replace");

    let sheet = filled_sheet(&w, "PT-PR-02", 1, "housing;stigma");
    w.run_in(&w.path("pt"), &["sheet", "import", &sheet, "--coder", "fixture"]).ok();
    assert_one_source_updated_as_a_rebuild(&w, "sheet import");

    w.run(&["--project", "pt", "code", "PT-FG-01:2", "stigma", "--coder", "newcomer"]).ok();
    assert_one_source_updated_as_a_rebuild(&w, "new coder");
}

#[test]
fn index_rebuild_rebuilds_a_stale_index_rather_than_updating_it() {
    let w = Workdir::new();
    copy_dir(&w.path("fixtures/first48/pt"), &w.path("pt"));
    w.run(&["--project", "pt", "index"]).ok();
    w.run(&["--project", "pt", "code", "PT-PR-01:3", "housing"]).ok();
    assert_eq!(w.run(&["--project", "pt", "index", "--rebuild"]).ok().stderr, "index rebuilt: 251 segments\n");
}

#[test]
fn an_index_of_the_previous_format_is_rebuilt() {
    let w = Workdir::new();
    copy_dir(&w.path("fixtures/first48/pt"), &w.path("pt"));
    w.run(&["--project", "pt", "index"]).ok();
    let meta_path = w.path("pt/.quire/index/quire-index.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    std::fs::write(&meta_path, meta.replacen("\"format\":7", "\"format\":6", 1)).unwrap();
    w.run(&["--project", "pt", "code", "PT-PR-01:3", "housing"]).ok();
    assert_eq!(w.run(&["--project", "pt", "index"]).ok().stderr, "index rebuilt: 251 segments\n");
}

/// The quote files in `pt`'s index, sorted.
fn quote_files(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.path("pt/.quire/index"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("quotes"))
        .collect();
    names.sort();
    names
}

#[test]
fn an_update_file_whose_source_was_indexed_again_is_removed() {
    let w = Workdir::new();
    copy_dir(&w.path("fixtures/first48/pt"), &w.path("pt"));
    w.run(&["--project", "pt", "index"]).ok();
    w.run(&["--project", "pt", "code", "PT-PR-01:3", "housing"]).ok();
    w.run(&["--project", "pt", "index"]).ok();
    w.run(&["--project", "pt", "code", "PT-PR-02:2", "housing"]).ok();
    w.run(&["--project", "pt", "index"]).ok();
    assert_eq!(quote_files(&w), ["quotes-2.bin", "quotes-3.bin", "quotes.bin"]);
    // PT-PR-01 again: its quotes move from quotes-2.bin to quotes-4.bin, and quotes-2.bin goes.
    w.run(&["--project", "pt", "code", "PT-PR-01:3", "stigma"]).ok();
    assert_eq!(w.run(&["--project", "pt", "index"]).ok().stderr, "index updated (1 source(s) re-indexed): 251 segments\n");
    assert_eq!(quote_files(&w), ["quotes-3.bin", "quotes-4.bin", "quotes.bin"]);
    copy_dir(&w.path("pt"), &w.path("rebuilt"));
    w.run(&["--project", "rebuilt", "index", "--rebuild"]).ok();
    assert_eq!(outputs(&w, "pt"), outputs(&w, "rebuilt"));
}

#[test]
fn a_ledger_that_does_not_say_where_each_sources_quotes_are_means_a_rebuild() {
    let w = Workdir::new();
    copy_dir(&w.path("fixtures/first48/pt"), &w.path("pt"));
    w.run(&["--project", "pt", "index"]).ok();
    let path = w.path("pt/.quire/index/quire-ledger.json");
    let mut ledger: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for source in ledger["sources"].as_object_mut().unwrap().values_mut() {
        source.as_object_mut().unwrap().remove("file").unwrap();
    }
    std::fs::write(&path, ledger.to_string()).unwrap();
    w.run(&["--project", "pt", "code", "PT-PR-01:3", "housing"]).ok();
    assert_eq!(w.run(&["--project", "pt", "index"]).ok().stderr, "index rebuilt: 251 segments\n");
}
