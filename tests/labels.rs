//! Integration tests for what ingest reads and how it says so: lines that look like speaker
//! labels (errors and warnings), respondents who never speak, and files that are not text.

mod common;

use common::{snapshot, Workdir};
use std::fs;

/// Lines 9 to 14: I, R, blank, R's second paragraph, I, R.
const TWO: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: How was the first week?\nR: Hard at first.\n\nIt got better after a month.\nI: And the flat?\nR: We waited for it a long time.\n";

/// A focus group with a moderator and five participants.
const GROUP: &str = "---\nsource: XX-FG\ncountry: BE\nlanguage: en\nmethod: focus-group\nspeaker M: interviewer\nspeaker P1: role=EPR gender=M\nspeaker P2: role=EPR gender=F\nspeaker P3: role=EPR gender=M\nspeaker P4: role=EPR gender=F\nspeaker P5: role=EPR gender=M\n---\nM: What helped?\nP1: Work.\nP2: My sister.\nP3: A room of my own.\nP4: The day centre.\nP5: Nothing much.\n";

/// Ingests `text` as `in/XX-1.txt` into project `p`; the project must be left as it was.
fn refused(text: &str) -> String {
    let w = Workdir::new();
    w.init("p", "en");
    let before = snapshot(&w.path("p"));
    w.write("in/XX-1.txt", text);
    let r = w.run(&["--project", "p", "ingest", "in"]).exits(3);
    assert_eq!(snapshot(&w.path("p")), before, "nothing written");
    r.stderr
}

#[test]
fn a_doubled_label_is_an_error_with_file_line_and_the_declared_labels() {
    let err = refused(&TWO.replace("R: We waited", "Rr: We waited"));
    assert_eq!(err, "quire: in/XX-1.txt:14: unknown speaker label `Rr` (declared: I, R); did you mean `R:`?\n");
}

#[test]
fn a_label_with_a_semicolon_is_an_error() {
    let err = refused(&TWO.replace("R: We waited", "R; We waited"));
    assert_eq!(err, "quire: in/XX-1.txt:14: unknown speaker label `R;` (declared: I, R); a label ends with `:`: did you mean `R:`?\n");
}

#[test]
fn a_label_in_the_wrong_case_is_an_error() {
    let err = refused(&TWO.replace("R: We waited", "r: We waited"));
    assert_eq!(err, "quire: in/XX-1.txt:14: unknown speaker label `r` (declared: I, R); labels are case-sensitive: did you mean `R:`?\n");
}

#[test]
fn a_role_word_as_label_is_an_error() {
    let err = refused(&TWO.replace("I: And the flat?", "Interviewer: And the flat?"));
    assert_eq!(
        err,
        "quire: in/XX-1.txt:13: unknown speaker label `Interviewer` (declared: I, R); declare this speaker in the header or write its declared label\n"
    );
}

#[test]
fn an_undeclared_participant_is_an_error() {
    let err = refused(&GROUP.replace("P5: Nothing", "P6: Nothing"));
    assert_eq!(err, "quire: in/XX-1.txt:18: unknown speaker label `P6` (declared: M, P1, P2, P3, P4, P5)\n");
}

#[test]
fn prose_that_looks_like_a_label_is_read_as_text_with_a_warning() {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-1.txt", TWO.replace("It got better", "Yes: it got better"));
    let r = w.run(&["--project", "p", "ingest", "in"]).exits(0);
    assert_eq!(
        r.stderr,
        "in/XX-1.txt:12: warning: `Yes:` looks like a speaker label but is not declared (declared: I, R); read as text of R\n\
         added     XX-1  5 segments, 1 respondent(s)\n1 source(s): 1 added\n"
    );
    let segs = w.run(&["--project", "p", "show", "XX-1", "--format", "json"]).ok().json();
    assert_eq!(segs[2]["text"], "Yes: it got better after a month.");
    assert_eq!(segs[2]["speaker"], "R");
}

#[test]
fn a_declared_respondent_who_never_speaks_is_reported() {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-FG.txt", GROUP.replace("P4: The day centre.\n", ""));
    let r = w.run(&["--project", "p", "ingest", "in"]).exits(0);
    assert_eq!(
        r.stderr,
        "in/XX-FG.txt: warning: respondent `P4` is declared but never speaks\n\
         added     XX-FG  5 segments, 5 respondent(s)\n1 source(s): 1 added\n"
    );
}

#[test]
fn a_source_without_respondent_text_is_reported() {
    let w = Workdir::new();
    w.init("p", "en");
    let questions_only = "---\nsource: XX-2\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=PR gender=F\n---\nI: Are you there?\nI: Hello?\n";
    w.write("in/XX-2.txt", questions_only);
    let r = w.run(&["--project", "p", "ingest", "in"]).exits(0);
    assert_eq!(
        r.stderr,
        "in/XX-2.txt: warning: respondent `R` is declared but never speaks\n\
         in/XX-2.txt: warning: XX-2 has no respondent segment: nothing in it can be coded or quoted\n\
         added     XX-2  2 segments, 1 respondent(s)\n1 source(s): 1 added\n"
    );
}

/// A minimal .docx: a zip archive (stored, no compression) holding `word/document.xml`.
fn docx() -> Vec<u8> {
    let name = b"word/document.xml";
    let data = b"<w:document><w:body><w:p><w:r><w:t>R: hello</w:t></w:r></w:p></w:body></w:document>";
    let mut zip = Vec::new();
    zip.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(data.len() as u32).to_le_bytes());
    zip.extend_from_slice(&(name.len() as u16).to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(name);
    zip.extend_from_slice(data);
    zip
}

#[test]
fn a_word_file_in_an_ingested_folder_is_listed_as_skipped() {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-1.txt", TWO);
    w.write("in/XX-3.docx", docx());
    w.write("in/notes.csv", "a,b\n");
    let r = w.run(&["--project", "p", "ingest", "in"]).exits(0);
    assert_eq!(
        r.stderr,
        "in/XX-3.docx: warning: skipped, a Word file: quire does not read it yet; save it as plain text (.txt, UTF-8) and ingest that\n\
         in/notes.csv: warning: skipped: not a transcript (.txt, .md)\n\
         added     XX-1  5 segments, 1 respondent(s)\n1 source(s): 1 added\n"
    );
}

#[test]
fn a_word_file_named_directly_is_refused_as_word() {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-3.docx", docx());
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "ingest", "in/XX-3.docx"]).exits(3);
    assert_eq!(r.stderr, "quire: in/XX-3.docx: a Word file: quire does not read it yet; save it as plain text (.txt, UTF-8) and ingest that\n");
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn a_word_file_renamed_to_txt_is_refused_as_a_document_not_as_utf8() {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-3.txt", docx());
    let r = w.run(&["--project", "p", "ingest", "in/XX-3.txt"]).exits(3);
    assert_eq!(
        r.stderr,
        "quire: in/XX-3.txt: a Word (.docx) or other zipped document, not text: quire does not read it yet; save it as plain text (.txt, UTF-8) and ingest that\n"
    );
}

/// A .docx made by LibreOffice, when it is installed: the message is the same as for any .docx.
#[test]
fn a_docx_written_by_libreoffice_is_refused_as_word() {
    let w = Workdir::new();
    w.write("doc/XX-4.txt", TWO.replace("XX-1", "XX-4"));
    let converted = std::process::Command::new("libreoffice")
        .args(["--headless", "--convert-to", "docx", "--outdir"])
        .arg(w.path("doc"))
        .arg(w.path("doc/XX-4.txt"))
        .output();
    if !converted.is_ok_and(|o| o.status.success()) || !w.path("doc/XX-4.docx").exists() {
        eprintln!("libreoffice is not installed: skipped (the hand-made .docx tests cover the message)");
        return;
    }
    fs::remove_file(w.path("doc/XX-4.txt")).unwrap();
    w.init("p", "en");
    let r = w.run(&["--project", "p", "ingest", "doc/XX-4.docx"]).exits(3);
    assert_eq!(r.stderr, "quire: doc/XX-4.docx: a Word file: quire does not read it yet; save it as plain text (.txt, UTF-8) and ingest that\n");
    let r = w.run(&["--project", "p", "ingest", "doc"]).exits(2);
    assert!(r.stderr.starts_with("doc/XX-4.docx: warning: skipped, a Word file"), "{}", r.stderr);
}

#[test]
fn the_shipped_fixtures_ingest_without_warnings() {
    let w = Workdir::new();
    for (country, lang) in [("be", "nl"), ("fr", "fr"), ("de", "de"), ("pt", "pt")] {
        w.init(country, lang);
        let r = w.run(&["--project", country, "ingest", &format!("fixtures/first48/{country}")]).exits(0);
        assert!(!r.stderr.contains("warning"), "{country}: {}", r.stderr);
    }
}
