//! `quire log` and `quire undo`: every write is recorded in the project's `history/` folder in
//! the same transaction as the write, and undo puts the files back byte for byte.

mod common;

use common::{copy_dir, snapshot, Run, Workdir};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The project's files without derived state and without the history itself.
fn state(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    snapshot(dir).into_iter().filter(|(p, _)| !p.starts_with(".quire") && !p.starts_with("history")).collect()
}

/// A copy of the Portuguese fixture project at `name`.
fn project(w: &Workdir, name: &str) -> PathBuf {
    let dir = w.path(name);
    copy_dir(&w.path("fixtures/first48/pt"), &dir);
    dir
}

fn quire(w: &Workdir, dir: &Path, args: &[&str]) -> Run {
    w.run_in(dir, args)
}

/// A sheet of PT-PR-02 with `housing;stigma` on every third row.
fn filled_sheet(w: &Workdir) -> PathBuf {
    let sheet = w.run(&["--project", "fixtures/first48/pt", "sheet", "export", "--source", "PT-PR-02"]).ok().stdout;
    let mut r = csv::Reader::from_reader(sheet.as_bytes());
    let headers = r.headers().unwrap().clone();
    let codes = headers.iter().position(|h| h == "codes").unwrap();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&headers).unwrap();
    for (i, rec) in r.records().enumerate() {
        let mut v: Vec<String> = rec.unwrap().iter().map(String::from).collect();
        if i % 3 == 0 {
            v[codes] = "housing;stigma".into();
        }
        out.write_record(&v).unwrap();
    }
    w.write("sheet.csv", out.into_inner().unwrap())
}

/// Log text with each time replaced by `YYYY-MM-DDThh:mm:ssZ` (as wide).
fn without_times(text: &str) -> String {
    let re = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
    re.replace_all(text, "YYYY-MM-DDThh:mm:ssZ").into_owned()
}

#[test]
fn undo_of_code_removes_the_coding_file_it_created() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let before = state(&p);
    quire(&w, &p, &["code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    assert!(p.join("codings/ana.csv").exists());
    let r = quire(&w, &p, &["undo"]).ok();
    assert_eq!(r.stdout, "remove codings/ana.csv\n");
    assert_eq!(
        r.stderr,
        "undid write 1 (`quire code PT-PR-01:3 housing --coder ana`): 0 file(s) restored, 1 removed; recorded as write 2 (`quire undo` again redoes it)\n"
    );
    assert_eq!(state(&p), before);
}

#[test]
fn undo_of_a_codebook_rename_brings_back_the_codings_it_rewrote() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let before = state(&p);
    quire(&w, &p, &["codebook", "rename", "housing", "lost-home"]).ok();
    assert_ne!(fs::read(p.join("codings/fixture2.csv")).unwrap(), before[Path::new("codings/fixture2.csv")]);
    let r = quire(&w, &p, &["undo"]).ok();
    assert_eq!(r.stdout, "restore codebook.json\nrestore codings/fixture.csv\nrestore codings/fixture2.csv\n");
    assert_eq!(state(&p), before);
}

#[test]
fn undo_of_ingest_replace_brings_back_the_source_and_its_re_anchored_codings() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let original = fs::read_to_string(p.join("sources/PT-PR-01.txt")).unwrap();
    w.write("edited/PT-PR-01.txt", original.replacen("\nI: ", "\nI: Uma pergunta nova.\nR: Uma resposta nova.\nI: ", 1));
    let before = state(&p);
    quire(&w, &p, &["ingest", "--replace", "../edited/PT-PR-01.txt"]).ok();
    let after = state(&p);
    assert_ne!(after[Path::new("codings/fixture.csv")], before[Path::new("codings/fixture.csv")], "the codings were re-anchored");
    let r = quire(&w, &p, &["undo"]).ok();
    assert_eq!(r.stdout, "restore codings/fixture.csv\nrestore sources/PT-PR-01.txt\nrestore sources/SHA256SUMS\n");
    assert_eq!(state(&p), before);
    quire(&w, &p, &["verify"]).ok();
}

#[test]
fn undo_of_a_sheet_import() {
    let w = Workdir::new();
    let p = project(&w, "p");
    filled_sheet(&w);
    let before = state(&p);
    quire(&w, &p, &["sheet", "import", "../sheet.csv", "--coder", "ana"]).ok();
    assert_ne!(state(&p), before);
    let r = quire(&w, &p, &["undo"]).ok();
    assert_eq!(r.stdout, "remove codings/ana.csv\n");
    assert_eq!(state(&p), before);
}

#[test]
fn undo_of_autocode_and_of_a_merge_into_the_project() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let before = state(&p);
    quire(&w, &p, &["autocode", "--code", "housing"]).ok();
    let coded = state(&p);
    assert_ne!(coded, before);
    quire(&w, &p, &["merge", "../fixtures/first48/be", "--into", "."]).ok();
    assert_ne!(state(&p), coded);
    quire(&w, &p, &["undo"]).ok();
    assert_eq!(state(&p), coded);
    quire(&w, &p, &["undo", "--to", "0"]).ok();
    assert_eq!(state(&p), before);
}

#[test]
fn undo_after_undo_redoes() {
    let w = Workdir::new();
    let p = project(&w, "p");
    quire(&w, &p, &["codebook", "rename", "housing", "lost-home"]).ok();
    let renamed = state(&p);
    quire(&w, &p, &["undo"]).ok();
    assert_ne!(state(&p), renamed);
    let r = quire(&w, &p, &["undo"]).ok();
    assert_eq!(r.stderr, "undid write 2 (`quire undo`): 3 file(s) restored, 0 removed; recorded as write 3 (`quire undo` again redoes it)\n");
    assert_eq!(state(&p), renamed);
}

#[test]
fn undo_to_n_reverts_every_later_write_as_one_write() {
    let w = Workdir::new();
    let p = project(&w, "p");
    quire(&w, &p, &["code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    let first = state(&p);
    quire(&w, &p, &["code", "PT-PR-01:5", "stigma", "--coder", "ana"]).ok();
    quire(&w, &p, &["codebook", "rename", "housing", "lost-home"]).ok();
    let dry = quire(&w, &p, &["undo", "--to", "1", "--dry-run"]).ok();
    assert_eq!(dry.stderr, "would undo writes 2 to 3: 4 file(s) restored, 0 removed (dry run: nothing written)\n");
    assert_ne!(state(&p), first, "a dry run writes nothing");
    let r = quire(&w, &p, &["undo", "--to", "1"]).ok();
    assert_eq!(r.stdout, "restore codebook.json\nrestore codings/ana.csv\nrestore codings/fixture.csv\nrestore codings/fixture2.csv\n");
    assert_eq!(state(&p), first);
    let log = quire(&w, &p, &["log", "--format", "csv"]).ok();
    assert!(
        without_times(&log.stdout).ends_with(
            "4,YYYY-MM-DDThh:mm:ssZ,quire undo --to 1 (undoes 2-3),\"codings ana +1 -2, fixture +2 -2, fixture2 +7 -7; codebook; 4 files\"\n"
        ),
        "{}",
        log.stdout
    );
    quire(&w, &p, &["undo", "--to", "4"]).exits(2);
}

#[test]
fn a_file_edited_by_hand_since_the_write_is_not_clobbered() {
    let w = Workdir::new();
    let p = project(&w, "p");
    quire(&w, &p, &["code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    let mut text = fs::read_to_string(p.join("codings/ana.csv")).unwrap();
    text.push_str("PT-PR-01,0,3,housing,ana,2026-01-01T00:00:00Z,abc\n");
    fs::write(p.join("codings/ana.csv"), &text).unwrap();
    let all = snapshot(&p);
    let r = quire(&w, &p, &["undo"]).exits(4);
    assert_eq!(
        r.stderr,
        "quire: `codings/ana.csv` was edited outside quire since write 1 (`quire code PT-PR-01:3 housing --coder ana`); undoing it would overwrite that change. \
         Nothing was undone: put the file back as quire left it, or keep your change and do not undo\n"
    );
    assert_eq!(r.stdout, "");
    assert_eq!(snapshot(&p), all, "nothing written");
}

#[test]
fn undo_with_no_history_is_refused() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let r = quire(&w, &p, &["undo"]).exits(4);
    assert_eq!(r.stderr, "quire: nothing to undo: the project's history is empty\n");
}

#[test]
fn the_history_keeps_only_the_newest_writes_within_its_bound() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let keep = [("QUIRE_HISTORY_KEEP", "2")];
    for target in ["PT-PR-01:3", "PT-PR-01:5", "PT-PR-01:8"] {
        w.run_env(&keep, &["--project", "p", "code", target, "housing", "--coder", "ana"]).ok();
    }
    let log = quire(&w, &p, &["log", "--format", "json"]).ok().json();
    let numbers: Vec<u64> = log.as_array().unwrap().iter().map(|e| e["number"].as_u64().unwrap()).collect();
    assert_eq!(numbers, [2, 3]);
    assert_eq!(fs::read_dir(p.join("history")).unwrap().count(), 2);
    let r = quire(&w, &p, &["undo", "--to", "0"]).exits(4);
    assert_eq!(
        r.stderr,
        "quire: the history reaches back to write 2 only (older writes were dropped to keep it bounded); `--to 1` is the furthest undo\n"
    );
    // A bound in bytes smaller than one entry keeps the newest entry alone.
    w.run_env(&[("QUIRE_HISTORY_MAX_BYTES", "1")], &["--project", "p", "code", "PT-PR-01:9", "housing", "--coder", "ana"]).ok();
    let log = quire(&w, &p, &["log", "--format", "json"]).ok().json();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["number"], 4);
}

#[test]
fn log_lists_each_write_with_what_it_changed() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let original = fs::read_to_string(p.join("sources/PT-PR-01.txt")).unwrap();
    w.write("edited/PT-PR-01.txt", original.replacen("\nI: ", "\nI: Uma pergunta nova.\nR: Uma resposta nova.\nI: ", 1));
    quire(&w, &p, &["code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    quire(&w, &p, &["ingest", "--replace", "../edited/PT-PR-01.txt"]).ok();
    quire(&w, &p, &["undo"]).ok();
    let text = quire(&w, &p, &["log"]).ok();
    assert_eq!(
        without_times(&text.stdout),
        "\
write  time                  command                                        changed
1      YYYY-MM-DDThh:mm:ssZ  quire code PT-PR-01:3 housing --coder ana      codings ana +1 -0; 1 file
2      YYYY-MM-DDThh:mm:ssZ  quire ingest --replace ../edited/PT-PR-01.txt  codings ana +1 -1, fixture +17 -17; sources +0 ~1 -0; 4 files
3      YYYY-MM-DDThh:mm:ssZ  quire undo (undoes 2)                          codings ana +1 -1, fixture +17 -17; sources +0 ~1 -0; 4 files
"
    );
    let json = quire(&w, &p, &["log", "--limit", "1", "--format", "json"]).ok().json();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["undoes"], serde_json::json!([2]));
    assert_eq!(json[0]["files"][2], serde_json::json!({"path": "sources/PT-PR-01.txt", "change": "replaced"}));
    assert_eq!(json[0]["changes"]["sources"], serde_json::json!({"added": [], "replaced": ["PT-PR-01"], "removed": []}));
}

#[test]
fn a_crash_mid_commit_leaves_the_log_and_the_files_consistent() {
    let w = Workdir::new();
    let args = ["codebook", "rename", "housing", "lost-home"];
    let reference = project(&w, "reference");
    let old = state(&reference);
    quire(&w, &reference, &args).ok();
    let new = state(&reference);
    let (mut before, mut after) = (0, 0);
    for (i, fp) in ["tx-staging", "tx-staging:5", "tx-before-journal", "tx-after-journal", "tx-applying:2", "tx-applying:6"].iter().enumerate() {
        let name = format!("run{i}");
        let dir = project(&w, &name);
        let mut full = vec!["--project", name.as_str()];
        full.extend(args);
        w.run_env(&[("QUIRE_FAILPOINT", fp)], &full).fails();
        quire(&w, &dir, &["verify"]).ok();
        let log = quire(&w, &dir, &["log", "--format", "json"]).ok().json();
        let entries = log.as_array().unwrap().len();
        if state(&dir) == old {
            assert_eq!(entries, 0, "{fp}: old files, no entry");
            before += 1;
        } else {
            assert_eq!(state(&dir), new, "{fp}: neither old nor new");
            assert_eq!(entries, 1, "{fp}: new files, their entry");
            quire(&w, &dir, &["undo"]).ok();
            assert_eq!(state(&dir), old, "{fp}: the entry undoes the write");
            after += 1;
        }
        let leftovers: Vec<_> = snapshot(&dir.join("history")).into_keys().filter(|p| p.to_string_lossy().contains(".quire-tmp-")).collect();
        assert!(leftovers.is_empty(), "{fp}: {leftovers:?}");
    }
    assert!(before >= 2 && after >= 2, "{before} before, {after} after");
}

#[test]
fn a_copied_project_folder_still_undoes() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let before = state(&p);
    quire(&w, &p, &["codebook", "rename", "housing", "lost-home"]).ok();
    let copy = w.path("copy");
    copy_dir(&p, &copy);
    fs::remove_dir_all(copy.join(".quire")).unwrap();
    quire(&w, &copy, &["undo"]).ok();
    assert_eq!(state(&copy), before);
}

#[test]
fn after_undo_derived_state_follows_the_restored_files() {
    let w = Workdir::new();
    let p = project(&w, "p");
    let count = |w: &Workdir| quire(w, &p, &["quotes", "--coder", "ana", "--format", "json"]).ok().json().as_array().unwrap().len();
    quire(&w, &p, &["code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    quire(&w, &p, &["code", "PT-PR-01:5", "housing", "--coder", "ana"]).ok();
    assert_eq!(count(&w), 2);
    quire(&w, &p, &["undo"]).ok();
    assert_eq!(count(&w), 1);
}

#[test]
fn an_entry_of_a_newer_format_is_refused_and_one_naming_a_path_outside_is_corrupt() {
    let w = Workdir::new();
    let p = project(&w, "p");
    quire(&w, &p, &["code", "PT-PR-01:3", "housing", "--coder", "ana"]).ok();
    let entry = p.join("history/000001/entry.json");
    let text = fs::read_to_string(&entry).unwrap();
    fs::write(&entry, text.replace("\"format\": 1", "\"format\": 2")).unwrap();
    let r = quire(&w, &p, &["log"]).exits(5);
    assert!(r.stderr.contains("history/000001/entry.json") && r.stderr.contains('2'), "{}", r.stderr);
    fs::write(&entry, text.replace("\"codings/ana.csv\"", "\"../victim.csv\"")).unwrap();
    let all = snapshot(&p);
    let r = quire(&w, &p, &["undo"]).exits(5);
    assert!(r.stderr.ends_with("entry.json: `../victim.csv` is not a file quire records inside this project\n"), "{}", r.stderr);
    assert_eq!(snapshot(&p), all);
}

#[test]
fn a_project_created_by_merge_starts_with_an_empty_history() {
    let w = Workdir::new();
    w.run(&["merge", "fixtures/first48/be", "fixtures/first48/pt", "--into", "merged"]).ok();
    assert!(!w.path("merged/history").exists());
    let r = w.run(&["--project", "merged", "log"]).ok();
    assert_eq!(r.stdout, "write  time  command  changed\n");
    assert_eq!(r.stderr, "no writes recorded yet\n");
}
