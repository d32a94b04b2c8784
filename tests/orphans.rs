//! Integration tests for `quire orphans list|attach`: codings orphaned by anonymising a source
//! after coding it (`ingest --replace`) are found again by fuzzy similarity and re-attached, with
//! a preview that writes nothing; text rewritten too much, or moved to the interviewer, stays
//! orphaned.

mod common;

use common::{snapshot, Workdir};
use std::fs;

/// Segments: 1 I, 2 R `My neighbour Maria ...` (39..104), 3 R `Later the social worker ...`
/// (106..146), 4 I, 5 R `Maria said ...`.
const ORIGINAL: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: Who helped you when you arrived?\nR: My neighbour Maria helped us find the flat and fill in the forms.\n\nLater the social worker came every week.\nI: And the job?\nR: Maria said the job was only for a month.\n";

const HEADER: &str = "source,start,end,code,coder,created,text\n";

/// The name anonymised in segment 2, and segment 3 rewritten.
fn anonymised() -> String {
    ORIGINAL
        .replace("Maria helped", "[name] helped")
        .replace("Later the social worker came every week.", "Every week a different person from the council came to see us.")
}

/// A project with segments 2 and 3 coded by `ana`, then the source replaced by `edited`.
fn project(edited: &str) -> Workdir {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-1.txt", ORIGINAL);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w.run(&["--project", "p", "code", "XX-1:2", "housing", "--coder", "ana"]).ok();
    w.run(&["--project", "p", "code", "XX-1:3", "housing", "--coder", "ana"]).ok();
    w.write("in/XX-1.txt", edited);
    w.run(&["--project", "p", "ingest", "in", "--replace"]).exits(0);
    w
}

fn read(w: &Workdir, rel: &str) -> String {
    fs::read_to_string(w.path(rel)).unwrap_or_default()
}

/// The rows of a coding file with `created` replaced by `T`.
fn rows(w: &Workdir, rel: &str) -> Vec<String> {
    read(w, rel)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(7, ',').collect();
            format!("{},{},{},{},{},T,{}", f[0], f[1], f[2], f[3], f[4], f[6])
        })
        .collect()
}

/// The `created` column of every row.
fn created(w: &Workdir, rel: &str) -> Vec<String> {
    read(w, rel).lines().skip(1).map(|l| l.split(',').nth(5).unwrap().to_string()).collect()
}

#[test]
fn anonymising_a_coded_name_orphans_the_coding() {
    let w = project(&anonymised());
    assert_eq!(read(&w, "p/codings/ana.csv"), HEADER);
    assert_eq!(
        rows(&w, "p/codings/ana.orphaned.csv"),
        [
            "XX-1,39,104,challenges/structural/housing,ana,T,My neighbour Maria helped us find the flat and fill in the forms.",
            "XX-1,106,146,challenges/structural/housing,ana,T,Later the social worker came every week.",
        ]
    );
}

#[test]
fn list_shows_the_best_place_with_its_score() {
    let w = project(&anonymised());
    let r = w.run(&["--project", "p", "orphans", "list"]).exits(0);
    assert_eq!(
        r.stdout,
        "orphan  coder  code                           old span       old text                                                           candidate     score  candidate text\n\
         1       ana    challenges/structural/housing  XX-1@39..104   My neighbour Maria helped us find the flat and fill in the forms.  XX-1@39..105  0.924  My neighbour [name] helped us find the flat and fill in the forms.\n\
         2       ana    challenges/structural/housing  XX-1@106..146  Later the social worker came every week.                           XX-1@92..117  0.400  in the forms. Every week\n"
    );
    assert_eq!(r.stderr, "2 orphan(s)\n");
}

#[test]
fn list_as_json_gives_the_candidate_and_its_score_as_numbers() {
    let w = project(&anonymised());
    let r = w.run(&["--project", "p", "orphans", "list", "--format", "json"]).exits(0);
    let first = &r.json()[0];
    assert_eq!(
        first,
        &serde_json::json!({"orphan": 1, "coder": "ana", "code": "challenges/structural/housing", "source": "XX-1", "start": 39, "end": 104,
            "text": "My neighbour Maria helped us find the flat and fill in the forms.",
            "candidate": {"start": 39, "end": 105, "score": 0.924, "text": "My neighbour [name] helped us find the flat and fill in the forms."}})
    );
}

#[test]
fn attach_reattaches_the_anonymised_coding_and_keeps_the_rewritten_one() {
    let w = project(&anonymised());
    let made = created(&w, "p/codings/ana.orphaned.csv");
    let r = w.run(&["--project", "p", "orphans", "attach"]).exits(0);
    assert_eq!(
        r.stdout,
        "#1  XX-1@39..104 -> XX-1@39..105  challenges/structural/housing (ana)  0.924  \"My neighbour Maria helped us find the flat and fill in the forms.\" -> \"My neighbour [name] helped us find the flat and fill in the forms.\"\n"
    );
    assert_eq!(r.stderr, "attached 1 orphan(s)\n1 orphan(s) stay, best place below 0.800: #2 0.400 (`quire orphans list` shows them)\n");
    assert_eq!(
        rows(&w, "p/codings/ana.csv"),
        ["XX-1,39,105,challenges/structural/housing,ana,T,My neighbour [name] helped us find the flat and fill in the forms."]
    );
    assert_eq!(created(&w, "p/codings/ana.csv"), [made[0].clone()], "the coding keeps the time it was made");
    assert_eq!(rows(&w, "p/codings/ana.orphaned.csv"), ["XX-1,106,146,challenges/structural/housing,ana,T,Later the social worker came every week."]);
    w.run(&["--project", "p", "verify"]).exits(0);
    let quotes = w.run(&["--project", "p", "quotes", "--code", "housing", "--coder", "ana", "--format", "csv"]).exits(0).stdout;
    assert!(quotes.contains("My neighbour [name] helped us"), "{quotes}");
}

#[test]
fn a_dry_run_previews_and_leaves_the_project_byte_identical() {
    let w = project(&anonymised());
    // As a researcher would: list first (its check of the sources' hashes is cached in .quire/).
    w.run(&["--project", "p", "orphans", "list"]).exits(0);
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "orphans", "attach", "--dry-run"]).exits(0);
    assert!(r.stdout.starts_with("#1  XX-1@39..104 -> XX-1@39..105  challenges/structural/housing (ana)  0.924  "), "{}", r.stdout);
    assert_eq!(
        r.stderr,
        "would attach 1 orphan(s) (dry run: nothing written)\n1 orphan(s) stay, best place below 0.800: #2 0.400 (`quire orphans list` shows them)\n"
    );
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn a_lower_threshold_attaches_the_rewritten_paragraph_too_and_removes_the_orphan_file() {
    let w = project(&anonymised());
    let made = created(&w, "p/codings/ana.orphaned.csv");
    let r = w.run(&["--project", "p", "orphans", "attach", "--min-similarity", "0.4"]).exits(0);
    assert_eq!(r.stderr, "attached 2 orphan(s)\n");
    assert_eq!(
        read(&w, "p/codings/ana.csv"),
        format!(
            "{HEADER}XX-1,39,105,challenges/structural/housing,ana,{},My neighbour [name] helped us find the flat and fill in the forms.\n\
             XX-1,92,117,challenges/structural/housing,ana,{},\"in the forms.\n\nEvery week\"\n",
            made[0], made[1]
        )
    );
    assert!(!w.path("p/codings/ana.orphaned.csv").exists());
}

#[test]
fn text_moved_to_the_interviewer_is_not_attached_there() {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-1.txt", ORIGINAL);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w.run(&["--project", "p", "code", "XX-1:5", "housing", "--coder", "ana"]).ok();
    w.write("in/XX-1.txt", ORIGINAL.replace("R: Maria said", "I: Maria said"));
    w.run(&["--project", "p", "ingest", "in", "--replace"]).exits(0);
    assert_eq!(rows(&w, "p/codings/ana.orphaned.csv"), ["XX-1,166,206,challenges/structural/housing,ana,T,Maria said the job was only for a month."]);
    let list = w.run(&["--project", "p", "orphans", "list", "--format", "csv"]).exits(0).stdout;
    assert_eq!(
        list,
        "orphan,coder,code,old span,old text,candidate,score,candidate text\n\
         1,ana,challenges/structural/housing,XX-1@166..206,Maria said the job was only for a month.,XX-1@52..76,0.375,Maria helped us find the\n"
    );
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "orphans", "attach"]).exits(0);
    assert_eq!((r.stdout.as_str(), snapshot(&w.path("p")) == before), ("", true));
    let r = w.run(&["--project", "p", "orphans", "attach", "--orphan", "1", "--at", "XX-1@166..206"]).exits(3);
    assert_eq!(
        r.stderr,
        "quire: p/sources/XX-1.txt:14: `XX-1@166..206` is only interviewer text (speaker `I`): only respondent text is coded (`quire show XX-1 --respondents` lists its respondent segments)\n"
    );
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn one_orphan_is_placed_by_hand_widened_to_whole_words() {
    let w = project(&anonymised());
    let r = w.run(&["--project", "p", "orphans", "attach", "--orphan", "2", "--at", "XX-1@108..170"]).exits(0);
    assert_eq!(
        r.stdout,
        "#2  XX-1@106..146 -> XX-1@107..169  challenges/structural/housing (ana)  0.258  \"Later the social worker came every week.\" -> \"Every week a different person from the council came to see us.\"\n"
    );
    assert_eq!(r.stderr, "note: XX-1@108..170 widened to whole words of respondent text\nattached 1 orphan(s)\n");
    assert_eq!(
        rows(&w, "p/codings/ana.csv"),
        ["XX-1,107,169,challenges/structural/housing,ana,T,Every week a different person from the council came to see us."]
    );
    assert_eq!(rows(&w, "p/codings/ana.orphaned.csv").len(), 1);
}

#[test]
fn filters_keep_the_numbers_of_the_full_list() {
    let w = project(&anonymised());
    w.run(&["--project", "p", "code", "XX-1:5", "housing", "--coder", "bo"]).ok();
    fs::write(w.path("p/codings/bo.orphaned.csv"), read(&w, "p/codings/bo.csv")).unwrap();
    fs::write(w.path("p/codings/bo.csv"), HEADER).unwrap();
    let r = w.run(&["--project", "p", "orphans", "list", "--coder", "bo", "--format", "csv"]).exits(0);
    assert!(r.stdout.lines().nth(1).unwrap().starts_with("3,bo,"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 2);
}

#[test]
fn bad_arguments_are_refused_and_nothing_is_written() {
    let w = project(&anonymised());
    w.run(&["--project", "p", "orphans", "list"]).exits(0);
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "orphans", "attach", "--min-similarity", "1.5"]).exits(2);
    assert_eq!(r.stderr, "quire: --min-similarity 1.5: give a score from 0 to 1\n");
    let r = w.run(&["--project", "p", "orphans", "attach", "--orphan", "7", "--at", "XX-1@39..60"]).exits(2);
    assert_eq!(r.stderr, "quire: there is no orphan 7 (2 orphan(s); `quire orphans list` numbers them)\n");
    w.run(&["--project", "p", "orphans", "attach", "--orphan", "1"]).exits(2);
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn a_source_edited_by_hand_is_refused_before_anything_is_placed() {
    let w = project(&anonymised());
    let path = w.path("p/sources/XX-1.txt");
    fs::write(&path, read(&w, "p/sources/XX-1.txt").replace("[name]", "[nome]")).unwrap();
    let before = snapshot(&w.path("p"));
    for args in [&["orphans", "list"][..], &["orphans", "attach"], &["orphans", "attach", "--orphan", "1", "--at", "XX-1@39..60"]] {
        let r = w.run(&[&["--project", "p"][..], args].concat()).exits(5);
        assert!(r.stderr.starts_with("quire: p/sources/XX-1.txt: changed since it was ingested"), "{args:?}: {}", r.stderr);
    }
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn placing_by_hand_can_be_previewed() {
    let w = project(&anonymised());
    w.run(&["--project", "p", "orphans", "list"]).exits(0);
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "orphans", "attach", "--orphan", "2", "--at", "XX-1@107..169", "--dry-run"]).exits(0);
    assert!(r.stdout.starts_with("#2  XX-1@106..146 -> XX-1@107..169  challenges/structural/housing (ana)  0.258  "), "{}", r.stdout);
    assert_eq!(r.stderr, "would attach 1 orphan(s) (dry run: nothing written)\n");
    assert_eq!(snapshot(&w.path("p")), before);
}
