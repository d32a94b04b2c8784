//! The table of exit codes (README, Development): one command per row, with its exact message.

mod common;

use std::fs;

use common::Workdir;

const SMALL: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: nl\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: Vraag?\nR: Antwoord op 14 maart 2018.\n";

/// A project `p` holding one transcript with a likely identifier (a date).
fn project() -> Workdir {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", SMALL);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w
}

#[test]
fn exit_0_success() {
    let w = project();
    let r = w.run(&["--project", "p", "sources", "--format", "csv"]).exits(0);
    assert_eq!(r.stderr, "");
}

#[test]
fn exit_1_findings_of_check_strict() {
    let w = project();
    let r = w.run(&["--project", "p", "check", "--strict"]).exits(1);
    assert_eq!(r.stderr.lines().last(), Some("quire: 1 likely identifier(s) found (--strict)"));
}

#[test]
fn exit_1_findings_of_verify() {
    let w = project();
    let source = w.path("p/sources/XX-1.txt");
    let text = fs::read_to_string(&source).unwrap();
    fs::write(&source, text.replace("Vraag?", "Een vraag?")).unwrap();
    let r = w.run(&["--project", "p", "verify"]).exits(1);
    assert_eq!(r.stderr.lines().last(), Some("quire: 1 problem(s) remain (try --repair)"));
}

#[test]
fn exit_2_usage() {
    let w = project();
    let r = w.run(&["--project", "p", "agreement", "--coders", "a"]).exits(2);
    assert_eq!(r.stderr, "quire: --coders needs two or more different coders\n");
}

#[test]
fn exit_2_no_project_searched_for_or_named() {
    let w = Workdir::new();
    let r = w.run(&["sources"]).exits(2);
    assert!(r.stderr.starts_with("quire: no quire project here or in any parent directory of "), "{}", r.stderr);
    let r = w.run(&["--project", "nowhere", "sources"]).exits(2);
    assert_eq!(r.stderr, "quire: nowhere/quire.toml: No such file or directory (os error 2)\n");
}

#[test]
fn exit_3_bad_input_with_file_and_line() {
    let w = project();
    w.write("bad/XX-2.txt", SMALL.replace("XX-1", "XX-2").replace("R: Antwoord", "Q: Antwoord"));
    let r = w.run(&["--project", "p", "ingest", "bad"]).exits(3);
    assert_eq!(r.stderr, "quire: bad/XX-2.txt:10: unknown speaker label `Q` (declared: I, R)\n");
}

#[test]
fn exit_4_refused_by_policy() {
    let w = project();
    let r = w.run(&["init", "p"]).exits(4);
    assert_eq!(r.stderr, "quire: p: already a quire project\n");
    w.write("strict/XX-2.txt", SMALL.replace("XX-1", "XX-2"));
    let r = w.run(&["--project", "p", "ingest", "--strict", "strict"]).exits(4);
    assert_eq!(
        r.stderr,
        "quire: strict/XX-2.txt:10: column 16: likely identifier (date) `14 maart 2018`, 1 in this file; anonymise it or list it in check-allow.txt (--strict)\n"
    );
}

#[test]
fn exit_4_locked() {
    let w = project();
    let lock = fs::OpenOptions::new().write(true).open(w.path("p/.quire/lock")).unwrap();
    lock.try_lock().unwrap();
    let r = w.run_env(&[("QUIRE_LOCK_WAIT", "0")], &["--project", "p", "ingest", "in"]).exits(4);
    assert_eq!(r.stderr, "quire: p: another quire process is writing to this project; try again when it has finished\n");
    drop(lock);
}

#[test]
fn exit_5_corrupt_project_state() {
    let w = project();
    w.write("p/.quire/journal.json", "not json");
    let r = w.run(&["--project", "p", "sources"]).exits(5);
    assert_eq!(r.stderr, "quire: p/.quire/journal.json: unreadable transaction journal; move it away and run `quire verify`\n");
}

/// No command is known to make a library fail; the mapping itself is pinned.
#[test]
fn exit_70_internal() {
    let e = quire::Error::Internal("table computation failed: x".into());
    assert_eq!((e.exit_code(), e.to_string().as_str()), (70, "table computation failed: x"));
}

#[test]
fn exit_74_io() {
    let w = Workdir::new();
    let r = w.run(&["codebook", "validate", "missing.json"]).exits(74);
    assert_eq!(r.stderr, "quire: missing.json: No such file or directory (os error 2)\n");
}
