//! A source edited by hand under `sources/`: every read that uses offsets refuses with the
//! `verify --repair` advice and writes nothing; `verify --repair` re-anchors and accepts the edit.

mod common;

use std::fs;

use common::{snapshot, Workdir};

const PROJECT: &str = "fixtures/first48/pt";
const EDITED: &str = "fixtures/first48/pt/sources/PT-EPR-01.txt";
const REFUSAL: &str = "quire: fixtures/first48/pt/sources/PT-EPR-01.txt: changed since it was ingested (it differs from its hash in sources/SHA256SUMS); codings would land on the wrong text: run `quire verify --repair`, or restore the file\n";

/// The fixture project after one query (its caches built), then a turn added by hand before the
/// first coded text of PT-EPR-01, which moves every coding of that source.
fn edited() -> Workdir {
    let w = Workdir::new();
    w.run(&["--project", PROJECT, "quotes", "--code", "challenges", "--format", "json"]).ok();
    let text = fs::read_to_string(w.path(EDITED)).unwrap();
    let body = text.find("---\nI: ").unwrap() + 4;
    fs::write(w.path(EDITED), format!("{}I: Uma pergunta acrescentada à mão?\nR: Sim.\n{}", &text[..body], &text[body..])).unwrap();
    w
}

/// Runs a read on the edited project: refused with the exact message, nothing written.
fn refused(w: &Workdir, args: &[&str]) {
    let before = snapshot(&w.path(PROJECT));
    let mut all = vec!["--project", PROJECT];
    all.extend_from_slice(args);
    let r = w.run(&all).exits(5);
    assert_eq!((r.status, r.stderr.as_str(), r.stdout.as_str()), (5, REFUSAL, ""), "{args:?}");
    assert_eq!(snapshot(&w.path(PROJECT)), before, "{args:?} wrote something");
}

#[test]
fn quotes_refuse_a_source_edited_by_hand() {
    refused(&edited(), &["quotes", "--code", "challenges"]);
}

#[test]
fn a_table_refuses_a_source_edited_by_hand() {
    refused(&edited(), &["table", "--rows", "code:1", "--cols", "country"]);
}

#[test]
fn exports_reports_and_agreement_refuse_a_source_edited_by_hand() {
    let w = edited();
    refused(&w, &["export", "qdpx", "out.qdpx"]);
    assert!(!w.path("out.qdpx").exists());
    refused(&w, &["export", "quotes", "--out", "quotes-out"]);
    assert!(!w.path("quotes-out").exists());
    refused(&w, &["report", "--out", "report.html"]);
    assert!(!w.path("report.html").exists());
    refused(&w, &["agreement", "--coders", "fixture,fixture2", "--code", "challenges"]);
}

#[test]
fn two_edited_sources_are_counted() {
    let w = edited();
    let other = w.path("fixtures/first48/pt/sources/PT-EPR-02.txt");
    let text = fs::read_to_string(&other).unwrap();
    fs::write(&other, text.replacen("\nI: ", "\nI: Olá. ", 1)).unwrap();
    let r = w.run(&["--project", PROJECT, "quotes", "--code", "challenges"]).exits(5);
    assert_eq!(r.stderr, REFUSAL.replace("sources/SHA256SUMS);", "sources/SHA256SUMS), and so do 1 other source(s);"),);
}

#[test]
fn a_file_touched_but_not_changed_is_read() {
    let w = Workdir::new();
    let before = w.run(&["--project", PROJECT, "quotes", "--code", "challenges", "--format", "json"]).ok().stdout;
    let path = w.path(EDITED);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes).unwrap();
    let after = w.run(&["--project", PROJECT, "quotes", "--code", "challenges", "--format", "json"]).ok().stdout;
    assert_eq!(after, before);
}

#[test]
fn verify_repair_reanchors_the_codings_and_accepts_the_edit() {
    let w = Workdir::new();
    let quotes = |w: &Workdir| w.run(&["--project", PROJECT, "quotes", "--code", "challenges", "--format", "json"]).ok().json();
    let want = quotes(&w);
    let text = fs::read_to_string(w.path(EDITED)).unwrap();
    let body = text.find("---\nI: ").unwrap() + 4;
    fs::write(w.path(EDITED), format!("{}I: Uma pergunta acrescentada à mão?\n\n{}", &text[..body], &text[body..])).unwrap();
    let r = w.run(&["--project", PROJECT, "verify"]).exits(1);
    assert!(
        r.stderr.starts_with(
            "fixtures/first48/pt/sources/PT-EPR-01.txt: content differs from the hash recorded at ingest (edited outside quire?); --repair re-anchors its codings (to the orphan file if their text is gone) and records its new hash (remains)\n"
        ),
        "{}",
        r.stderr
    );
    w.run(&["--project", PROJECT, "verify", "--repair"]).ok();
    w.run(&["--project", PROJECT, "verify"]).ok();
    // The same quotes, now one segment further on in PT-EPR-01.
    let got = quotes(&w);
    assert!(want.as_array().unwrap().iter().any(|q| q["segment"].as_str().unwrap().starts_with("PT-EPR-01:")), "{want}");
    let texts = |v: &serde_json::Value| v.as_array().unwrap().iter().map(|q| (q["text"].clone(), q["codes"].clone())).collect::<Vec<_>>();
    assert_eq!(texts(&got), texts(&want));
}

/// The fixture project with `reasons/money-at-release` deleted from its codebook by hand, and
/// how many codings (of both coders) still use it, counted from the coding files.
fn code_deleted_by_hand() -> (Workdir, usize) {
    let w = Workdir::new();
    let path = w.path("fixtures/first48/pt/codebook.json");
    let mut codebook: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let reasons = codebook["codes"].as_array_mut().unwrap().iter_mut().find(|c| c["id"] == "reasons").unwrap();
    reasons["children"].as_array_mut().unwrap().retain(|c| c["id"] != "money-at-release");
    fs::write(&path, serde_json::to_vec_pretty(&codebook).unwrap()).unwrap();
    let mut used = 0;
    for coder in ["fixture", "fixture2"] {
        let text = fs::read_to_string(w.path(&format!("fixtures/first48/pt/codings/{coder}.csv"))).unwrap();
        used += text.lines().filter(|l| l.split(',').nth(3) == Some("reasons/money-at-release")).count();
    }
    assert!(used > 0);
    (w, used)
}

fn unknown_code_warning(used: usize) -> String {
    format!(
        "warning: {used} coding(s) use 1 code(s) not in the codebook, which no row or --code shows: reasons/money-at-release (`quire verify` lists them)\n"
    )
}

#[test]
fn quotes_warn_once_about_codings_of_a_code_deleted_by_hand() {
    let (w, used) = code_deleted_by_hand();
    let r = w.run(&["--project", PROJECT, "quotes", "--code", "challenges"]).ok();
    let (warning, rest) = r.stderr.split_at(r.stderr.find('\n').unwrap() + 1);
    assert_eq!(warning, unknown_code_warning(used));
    assert!(!rest.contains("warning"), "{}", r.stderr);
}

#[test]
fn a_table_warns_once_about_codings_of_a_code_deleted_by_hand() {
    let (w, used) = code_deleted_by_hand();
    let r = w.run(&["--project", PROJECT, "table", "--rows", "code:1", "--cols", "country"]).ok();
    assert_eq!(r.stderr, unknown_code_warning(used));
    // Once the codebook has every code again, no warning.
    let r = Workdir::new().run(&["--project", PROJECT, "table", "--rows", "code:1", "--cols", "country"]).ok();
    assert_eq!(r.stderr, "");
}

/// The check hashes a source again only when its size or time changed: a same-size edit with the
/// old time put back goes unseen (as it does for the index), one with a new time is refused.
#[test]
fn only_files_whose_size_or_time_changed_are_hashed_again() {
    use quire::project::Project;
    use std::time::{Duration, SystemTime};
    let w = Workdir::new();
    let project = Project::open(&w.path(PROJECT)).unwrap();
    let past = SystemTime::now() - Duration::from_secs(3600);
    let set_time = |path: &std::path::Path, t: SystemTime| fs::File::options().write(true).open(path).unwrap().set_modified(t).unwrap();
    for entry in fs::read_dir(w.path("fixtures/first48/pt/sources")).unwrap() {
        set_time(&entry.unwrap().path(), past);
    }
    quire::edits::check(&project, &project.fingerprint().unwrap()).unwrap();
    // Same size, other bytes, the old time: the recorded hash is trusted, nothing is read.
    let path = w.path(EDITED);
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, text.replacen("Faz agora", "Fez agora", 1)).unwrap();
    set_time(&path, past);
    set_time(&w.path("fixtures/first48/pt/codings/fixture.csv"), past);
    quire::edits::check(&project, &project.fingerprint().unwrap()).unwrap();
    // A new time: hashed, and refused.
    set_time(&path, past + Duration::from_secs(1));
    let err = quire::edits::check(&project, &project.fingerprint().unwrap()).unwrap_err();
    assert!(matches!(&err, quire::Error::SourcesEdited { first, others: 0 } if first.ends_with("PT-EPR-01.txt")), "{err}");
}

#[test]
fn verify_repair_orphans_a_coding_whose_text_the_edit_removed() {
    let w = Workdir::new();
    let gone = "Faz agora um mês, mais coisa menos coisa. Saí numa quarta-feira, lembro-me porque era dia de visitas e eu pensei que me estavam a chamar para a visita. Afinal era a liberdade condicional. Ninguém me tinha dito que o juiz já tinha decidido.";
    let text = fs::read_to_string(w.path(EDITED)).unwrap();
    assert!(text.contains(gone));
    fs::write(w.path(EDITED), text.replace(gone, "Faz um mês.")).unwrap();
    let coded = |coder: &str, file: &str| {
        fs::read_to_string(w.path(&format!("fixtures/first48/pt/codings/{coder}{file}"))).unwrap_or_default().matches(gone).count()
    };
    assert_eq!((coded("fixture", ".csv"), coded("fixture2", ".csv")), (1, 1));
    let r = w.run(&["--project", PROJECT, "verify", "--repair"]).ok();
    assert!(
        r.stderr.contains(&format!(
            "fixtures/first48/pt/codings/fixture.csv:2: text at 28..267 in PT-EPR-01 differs from the coded text; its text is gone: moved to {} (repaired)\n",
            "fixtures/first48/pt/codings/fixture.orphaned.csv"
        )),
        "{}",
        r.stderr
    );
    assert_eq!((coded("fixture", ".csv"), coded("fixture2", ".csv")), (0, 0));
    assert_eq!((coded("fixture", ".orphaned.csv"), coded("fixture2", ".orphaned.csv")), (1, 1));
    w.run(&["--project", PROJECT, "verify"]).ok();
    w.run(&["--project", PROJECT, "quotes", "--code", "challenges"]).ok();
}
