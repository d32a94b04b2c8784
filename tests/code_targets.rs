//! Integration tests for where `code` lands: only on respondent text (segments, ranges, spans
//! widened to whole words), `show` with the codes on each segment, `verify` of codings on no
//! respondent text, and suggestions for misspelled codes.

mod common;

use common::{snapshot, Workdir};
use std::fs;

/// Segments: 1 I (line 9), 2 R, 3 R (second paragraph), 4 I (line 13), 5 R (line 14).
const TWO: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: en\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: How was the first week?\nR: Hard at first.\n\nIt got better after a month.\nI: And the flat?\nR: We waited for it a long time.\n";

const HEADER: &str = "source,start,end,code,coder,created,text\n";

fn project() -> Workdir {
    let w = Workdir::new();
    w.init("p", "en");
    w.write("in/XX-1.txt", TWO);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w
}

fn codings(w: &Workdir, coder: &str) -> String {
    fs::read_to_string(w.path(&format!("p/codings/{coder}.csv"))).unwrap_or_default()
}

/// The rows of a codings file without their `created` column.
fn rows(w: &Workdir, coder: &str) -> Vec<String> {
    codings(w, coder)
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(7, ',').collect();
            format!("{} {}..{} {} {}", f[0], f[1], f[2], f[3], f[6])
        })
        .collect()
}

#[test]
fn an_interviewer_segment_is_refused_naming_segment_and_speaker() {
    let w = project();
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "code", "XX-1:1", "housing", "--coder", "ana"]).exits(3);
    assert_eq!(
        r.stderr,
        "quire: p/sources/XX-1.txt:9: `XX-1:1` is only interviewer text (speaker `I`): only respondent text is coded (`quire show XX-1 --respondents` lists its respondent segments)\n"
    );
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn a_range_codes_its_respondent_segments_and_counts_the_skipped_interviewer_paragraphs() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1:1-3", "housing", "--coder", "ana"]).exits(0);
    assert_eq!(r.stderr, "skipped 1 interviewer paragraph(s) of XX-1:1-3: only respondent text is coded\n2 coding(s) added for ana\n");
    assert_eq!(
        rows(&w, "ana"),
        ["XX-1 30..44 challenges/structural/housing Hard at first.", "XX-1 46..74 challenges/structural/housing It got better after a month."]
    );
}

#[test]
fn a_range_of_interviewer_paragraphs_only_is_refused() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1:4-4", "housing", "--coder", "ana"]).exits(3);
    assert_eq!(
        r.stderr,
        "quire: p/sources/XX-1.txt:13: `XX-1:4-4` is only interviewer text (speaker `I`): only respondent text is coded (`quire show XX-1 --respondents` lists its respondent segments)\n"
    );
    assert_eq!(codings(&w, "ana"), "");
}

#[test]
fn a_span_across_a_speaker_turn_is_refused() {
    let w = project();
    let before = snapshot(&w.path("p"));
    let r = w.run(&["--project", "p", "code", "XX-1@80..100", "housing", "--coder", "ana"]).exits(3);
    assert_eq!(
        r.stderr,
        "quire: p/sources/XX-1.txt:14: `XX-1@80..100` crosses a speaker turn (from `I` to `R`); code each speaker's text separately\n"
    );
    assert_eq!(snapshot(&w.path("p")), before);
}

#[test]
fn a_span_on_interviewer_text_is_refused() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1@7..10", "housing", "--coder", "ana"]).exits(3);
    assert!(r.stderr.starts_with("quire: p/sources/XX-1.txt:9: `XX-1@7..10` is only interviewer text (speaker `I`)"), "{}", r.stderr);
}

#[test]
fn a_span_inside_words_is_widened_to_whole_words_with_a_note() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1@99..102", "housing", "--coder", "ana"]).exits(0);
    assert_eq!(r.stderr, "note: XX-1@99..102 widened to whole words of respondent text: XX-1@98..104 \"waited\"\n1 coding(s) added for ana\n");
    assert_eq!(rows(&w, "ana"), ["XX-1 98..104 challenges/structural/housing waited"]);
}

#[test]
fn a_span_from_a_label_is_clipped_to_the_segment_text() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1@92..97", "housing", "--coder", "ana"]).exits(0);
    assert_eq!(r.stderr, "note: XX-1@92..97 widened to whole words of respondent text: XX-1@95..97 \"We\"\n1 coding(s) added for ana\n");
}

#[test]
fn a_span_on_whole_words_is_coded_as_given_without_a_note() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1@98..104", "housing", "--coder", "ana"]).exits(0);
    assert_eq!(r.stderr, "1 coding(s) added for ana\n");
}

#[test]
fn show_prints_the_codes_and_coders_on_each_segment() {
    let w = project();
    w.run(&["--project", "p", "code", "XX-1:2", "housing", "--coder", "ana"]).ok();
    w.run(&["--project", "p", "code", "XX-1:2", "housing", "stigma", "--coder", "bo"]).ok();
    let out = w.run(&["--project", "p", "show", "XX-1"]).ok().stdout;
    assert_eq!(
        out,
        "XX-1 · interview · en · 5 segments · R (EPR, M, BE)\n\
         \nXX-1:1  I (interviewer)\n    How was the first week?\n\
         \nXX-1:2  R (EPR, M, BE)\n    Hard at first.\n    codes: challenges/individual/stigma (bo); challenges/structural/housing (ana, bo)\n\
         \nXX-1:3  R (EPR, M, BE)\n    It got better after a month.\n\
         \nXX-1:4  I (interviewer)\n    And the flat?\n\
         \nXX-1:5  R (EPR, M, BE)\n    We waited for it a long time.\n"
    );
    let json = w.run(&["--project", "p", "show", "XX-1", "--respondents", "--format", "json"]).ok().json();
    assert_eq!(json[0]["id"], "XX-1:2");
    assert_eq!(
        json[0]["codes"],
        serde_json::json!([{"code": "challenges/individual/stigma", "coders": ["bo"]}, {"code": "challenges/structural/housing", "coders": ["ana", "bo"]}])
    );
    assert_eq!(json[1]["codes"], serde_json::json!([]));
}

#[test]
fn a_segment_id_as_show_prints_it_is_what_code_takes() {
    let w = project();
    let json = w.run(&["--project", "p", "show", "XX-1", "--respondents", "--format", "json"]).ok().json();
    let last = json.as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_string();
    assert_eq!(last, "XX-1:5");
    w.run(&["--project", "p", "code", &last, "housing", "--coder", "ana"]).exits(0);
    assert_eq!(rows(&w, "ana"), ["XX-1 95..124 challenges/structural/housing We waited for it a long time."]);
}

#[test]
fn verify_reports_a_coding_on_interviewer_text_and_repair_moves_it_to_the_orphan_file() {
    let w = project();
    let interviewer = "XX-1,3,26,challenges/structural/housing,ana,2026-01-01T00:00:00Z,How was the first week?\n";
    let answer = "XX-1,30,44,challenges/structural/housing,ana,2026-01-01T00:00:00Z,Hard at first.\n";
    w.write("p/codings/ana.csv", format!("{HEADER}{interviewer}{answer}"));
    let r = w.run(&["--project", "p", "verify"]).exits(1);
    assert_eq!(
        r.stderr.lines().next().unwrap(),
        "p/codings/ana.csv:2: coding of `challenges/structural/housing` at 3..26 in XX-1 falls on no respondent text (interviewer text of `I`); --repair moves it to p/codings/ana.orphaned.csv (remains)"
    );
    let r = w.run(&["--project", "p", "verify", "--repair"]).exits(0);
    assert!(
        r.stderr.contains("3..26 in XX-1 falls on no respondent text (interviewer text of `I`); moved to p/codings/ana.orphaned.csv (repaired)"),
        "{}",
        r.stderr
    );
    assert_eq!(codings(&w, "ana"), format!("{HEADER}{answer}"));
    assert_eq!(fs::read_to_string(w.path("p/codings/ana.orphaned.csv")).unwrap(), format!("{HEADER}{interviewer}"));
    w.run(&["--project", "p", "verify"]).exits(0);
}

#[test]
fn verify_reports_a_coding_between_segments() {
    let w = project();
    w.write("p/codings/ana.csv", format!("{HEADER}XX-1,27,29,challenges/structural/housing,ana,2026-01-01T00:00:00Z,R:\n"));
    let r = w.run(&["--project", "p", "verify"]).exits(1);
    assert!(r.stderr.contains("at 27..29 in XX-1 falls on no respondent text (no segment text)"), "{}", r.stderr);
}

#[test]
fn a_misspelled_code_id_gets_did_you_mean() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1:2", "housng", "--coder", "ana"]).exits(3);
    assert_eq!(r.stderr, "quire: unknown code `housng` (did you mean challenges/structural/housing?)\n");
}

#[test]
fn a_path_with_a_misspelled_last_part_gets_the_closest_full_id() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1:2", "challenges/structural/housng", "--coder", "ana"]).exits(3);
    assert_eq!(r.stderr, "quire: unknown code `challenges/structural/housng` (did you mean challenges/structural/housing?)\n");
}

#[test]
fn code_help_says_spans_are_widened_and_interviewer_text_is_not_coded() {
    let w = Workdir::new();
    let help = w.run(&["code", "--help"]).ok().stdout;
    assert!(help.contains("widened to whole words"), "{help}");
    assert!(help.contains("Interviewer text is never coded"), "{help}");
}

#[test]
fn a_replaced_source_whose_coded_answer_became_a_question_orphans_the_coding() {
    let w = project();
    w.run(&["--project", "p", "code", "XX-1:2", "housing", "--coder", "ana"]).ok();
    w.write("in/XX-1.txt", TWO.replace("R: Hard at first.", "I: Hard at first."));
    let r = w.run(&["--project", "p", "ingest", "in", "--replace"]).exits(0);
    assert_eq!(
        r.stderr,
        "replaced  XX-1  5 segments, 1 respondent(s)\n1 source(s): 1 replaced\n\
         codings of replaced sources: 0 re-anchored by their text, 1 orphaned\n\
         orphaned  XX-1@30..44 challenges/structural/housing (ana): no longer respondent text: \"Hard at first.\"\n"
    );
    assert_eq!(codings(&w, "ana"), HEADER);
    let orphans = fs::read_to_string(w.path("p/codings/ana.orphaned.csv")).unwrap();
    assert!(orphans.starts_with(&format!("{HEADER}XX-1,30,44,challenges/structural/housing,ana,")), "{orphans}");
    w.run(&["--project", "p", "verify"]).exits(0);
}

#[test]
fn a_suffix_with_a_misspelled_last_part_gets_the_closest_full_id() {
    let w = project();
    let r = w.run(&["--project", "p", "code", "XX-1:2", "structural/housng", "--coder", "ana"]).exits(3);
    assert_eq!(r.stderr, "quire: unknown code `structural/housng` (did you mean challenges/structural/housing?)\n");
}
