//! Header values survive the canonical form exactly: parse(render(parse(x))) == parse(x) for every
//! transcript the parser accepts (generated, hand-picked and the fixtures), values from a cases
//! sheet included; and bad cases sheets or transcripts are refused with file and line.

mod common;

use std::fs;
use std::path::Path;

use common::{snapshot, Workdir};
use quire::corpus::cases::CaseSheet;
use quire::corpus::{transcript, Language, Source};

/// A source with the lines of its segments forgotten: the canonical form drops comments and blank
/// lines of the header, which moves the body, never its offsets.
fn comparable(s: &Source) -> Source {
    let mut s = s.clone();
    for g in &mut s.segments {
        g.line = 0;
    }
    s
}

/// Checks the fixed point for `bytes`; returns whether the parser accepted them.
fn fixed_point(name: &str, bytes: &[u8], cases: Option<&CaseSheet>) -> bool {
    let path = Path::new("X-1.txt");
    let Ok(first) = transcript::parse(path, bytes, Language::English, cases) else {
        return false;
    };
    let rendered = transcript::render(&first);
    let again = transcript::parse(path, rendered.as_bytes(), Language::English, None)
        .unwrap_or_else(|e| panic!("{name}: the canonical form does not parse: {e}\n{rendered}"));
    assert_eq!(comparable(&again), comparable(&first), "{name}: the canonical form reads back otherwise:\n{rendered}");
    assert_eq!(transcript::render(&again), rendered, "{name}: rendering is not stable");
    true
}

/// A small deterministic generator (xorshift), so that a failure replays.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A value made of the characters that matter to the header syntax, and some that do not.
    fn value(&mut self) -> String {
        const PARTS: [&str; 22] = [
            "a", "Zé", " ", "  ", "\t", "\"", "\\", "\\n", "\\\"", "#", " #", ":", "=", "n", "---", "x y", "\u{a0}", "\u{2028}", "ü", "'", "\\\\",
            "\u{feff}",
        ];
        let n = self.below(6);
        (0..n).map(|_| self.pick(&PARTS)).collect()
    }

    fn transcript(&mut self) -> String {
        let mut out = String::new();
        if self.below(5) == 0 {
            out.push('\n');
        }
        out.push_str("---\nsource: X-1\ncountry: PT\n");
        for _ in 0..self.below(4) {
            let key = self.pick(&["note", "setting", "prison", "a.b", "speaker", "_x"]);
            let value = self.value();
            let written = match self.below(3) {
                0 => value,
                1 => format!("\"{value}\""),
                _ => format!("{value} # comment"),
            };
            out.push_str(&format!("{key}:{}{written}\n", self.pick(&[" ", "", "  "])));
        }
        if self.below(4) == 0 {
            out.push_str("# a comment line\n\n");
        }
        out.push_str("speaker I: interviewer\n");
        out.push_str("speaker R: role=PR");
        for _ in 0..self.below(3) {
            let key = self.pick(&["site", "gender", "case", "note"]);
            let value = self.value();
            let written = if self.below(2) == 0 { value } else { format!("\"{value}\"") };
            out.push_str(&format!(" {key}={written}"));
        }
        out.push_str("\n---\n");
        for _ in 0..1 + self.below(4) {
            let label = self.pick(&["I", "R"]);
            let text = self.value();
            out.push_str(&format!("{label}: word{text}\n"));
            if self.below(3) == 0 {
                out.push_str(&format!("{}\n\n", self.value()));
            }
        }
        out
    }
}

#[test]
fn generated_transcripts_are_a_fixed_point_of_the_canonical_form() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut accepted = 0;
    for i in 0..20_000 {
        let text = g.transcript();
        if fixed_point(&format!("input {i}: {text:?}"), text.as_bytes(), None) {
            accepted += 1;
        }
    }
    // The generator must exercise the writer, not only the parser's refusals.
    assert!(accepted > 5_000, "only {accepted} of 20000 generated transcripts were accepted");
}

#[test]
fn generated_cases_sheet_values_are_a_fixed_point_of_the_canonical_form() {
    let dir = tempfile::tempdir().unwrap();
    let base = "---\nsource: X-1\ncountry: PT\nspeaker I: interviewer\nspeaker R: role=PR\n---\nI: Pergunta?\nR: Resposta.\n";
    let mut g = Gen(0x0123_4567_89AB_CDEF);
    let mut accepted = 0;
    for i in 0..2_000 {
        let source_note = g.value().replace('"', "\"\"");
        let speaker_note = format!("{}\n{}", g.value(), g.value()).replace('"', "\"\"");
        let csv = format!("source,speaker,note\nX-1,,\"{source_note}\"\nX-1,R,\"{speaker_note}\"\n");
        let path = dir.path().join(format!("cases-{i}.csv"));
        fs::write(&path, &csv).unwrap();
        let sheet = CaseSheet::read(&path).unwrap_or_else(|e| panic!("{csv:?}: {e}"));
        if fixed_point(&format!("cases {csv:?}"), base.as_bytes(), Some(&sheet)) {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 2_000, "every cell is a value the header can hold");
}

#[test]
fn hand_picked_values_are_a_fixed_point_and_read_as_meant() {
    let cases: [(&str, &str); 12] = [
        ("a\"b", "a\"b"),
        ("\"a\\\"b\"", "a\"b"),
        ("\"line one\\nline two\"", "line one\nline two"),
        ("\"  lead and trail  \"", "  lead and trail  "),
        ("  spaced  ", "spaced"),
        ("time: 10:30", "time: 10:30"),
        ("\"x # not a comment\"", "x # not a comment"),
        ("x # a comment", "x"),
        ("C:\\temp", "C:\\temp"),
        ("\"C:\\temp dir\"", "C:\\temp dir"),
        ("\"\"", ""),
        ("\"a\" \"b\"", "\"a\" \"b\""),
    ];
    for (written, meant) in cases {
        let text = format!("---\nsource: X-1\ncountry: PT\nnote: {written}\nspeaker R: role=PR note={}\n---\nR: Sim.\n", quote_token(meant));
        let source = transcript::parse(Path::new("X-1.txt"), text.as_bytes(), Language::English, None).unwrap();
        assert_eq!(source.attributes, [("note".to_string(), meant.to_string())], "{written}");
        assert_eq!(source.speakers[0].attributes["note"], meant, "{written}");
        assert!(fixed_point(written, text.as_bytes(), None));
    }
    // The stored form of the example.
    let source = transcript::parse(
        Path::new("X-1.txt"),
        b"---\nsource: X-1\ncountry: PT\nnote: a\"b\nspeaker R: role=PR\n---\nR: Sim.\n",
        Language::English,
        None,
    )
    .unwrap();
    assert!(transcript::render(&source).contains("\nnote: \"a\\\"b\"\n"), "{}", transcript::render(&source));
}

/// A speaker attribute value written in quotes with the header's escapes.
fn quote_token(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"))
}

#[test]
fn the_fixtures_and_fuzz_regressions_are_a_fixed_point() {
    let mut n = 0;
    for country in common::COUNTRIES {
        let dir = common::repo().join("fixtures/first48").join(country).join("sources");
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "txt") {
                continue;
            }
            let bytes = fs::read(&path).unwrap();
            let source = transcript::parse(&path, &bytes, Language::English, None).unwrap();
            assert_eq!(transcript::render(&source).as_bytes(), bytes, "{} is canonical", path.display());
            assert!(fixed_point(&path.display().to_string(), &bytes, None));
            n += 1;
        }
    }
    assert_eq!(n, 28, "the fixture transcripts");
    let dir = common::repo().join("tests/data/fuzz/transcript");
    let mut accepted = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        accepted += usize::from(fixed_point(&path.display().to_string(), &fs::read(&path).unwrap(), None));
    }
    assert!(accepted >= 4, "the regression inputs with quotes, escapes and line breaks in values are accepted");
}

const NOTE_QUOTE: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: nl\nmethod: interview\nnote: a\"b\nspeaker I: interviewer\nspeaker R: gender=M role=EPR\n---\nI: Vraag?\nR: Antwoord.\n";

#[test]
fn a_quote_in_a_value_survives_a_merge_and_reingesting_the_original_is_a_no_op() {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", NOTE_QUOTE);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    assert_eq!(
        fs::read_to_string(w.path("p/sources/XX-1.txt")).unwrap(),
        NOTE_QUOTE.replace("note: a\"b", "note: \"a\\\"b\""),
        "stored with the quote escaped"
    );
    w.run(&["merge", "p", "--into", "m"]).ok();
    assert_eq!(fs::read(w.path("m/sources/XX-1.txt")).unwrap(), fs::read(w.path("p/sources/XX-1.txt")).unwrap(), "merge keeps it");
    let before = snapshot(&w.path("m"));
    let r = w.run(&["--project", "m", "ingest", "in"]).ok();
    assert_eq!(r.stderr, "unchanged XX-1  2 segments, 1 respondent(s)\n1 source(s): 1 unchanged\n");
    assert_eq!(snapshot(&w.path("m")), before);
    let listed = w.run(&["--project", "m", "sources", "--format", "json"]).ok().json();
    assert_eq!(listed[0]["attributes"]["note"], "a\"b", "{listed}");
}

#[test]
fn a_multi_line_cell_in_a_cases_sheet_is_kept_and_the_project_stays_readable() {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", NOTE_QUOTE.replace("note: a\"b\n", ""));
    w.write("cases.csv", "source,speaker,note\r\nXX-1,,\"line one\r\nline two\"\r\nXX-1,R,\"said \"\"so\"\"\nand left\"\r\n");
    w.run(&["--project", "p", "ingest", "in", "--cases", "cases.csv"]).ok();
    let stored = fs::read_to_string(w.path("p/sources/XX-1.txt")).unwrap();
    assert!(stored.contains("\nnote: \"line one\\nline two\"\n"), "{stored}");
    assert!(stored.contains("\nspeaker R: gender=M note=\"said \\\"so\\\"\\nand left\" role=EPR\n"), "{stored}");
    let listed = w.run(&["--project", "p", "sources", "--format", "json"]).ok().json();
    assert_eq!(listed[0]["attributes"]["note"], "line one\nline two", "{listed}");
    assert_eq!(listed[0]["speakers"][1]["attributes"]["note"], "said \"so\"\nand left", "{listed}");
    w.run(&["--project", "p", "verify"]).ok();
    w.run(&["--project", "p", "show", "XX-1"]).ok();
    let r = w.run(&["--project", "p", "ingest", "in", "--cases", "cases.csv"]).ok();
    assert_eq!(r.stderr, "unchanged XX-1  2 segments, 1 respondent(s)\n1 source(s): 1 unchanged\n");
}

/// Ingests `in/` with `cases.csv` into a fresh project and returns the refusal, checking that
/// nothing was written.
fn refused(transcript_text: &str, cases: Option<&[u8]>) -> (i32, String) {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", transcript_text);
    let mut args = vec!["--project", "p", "ingest", "in"];
    if let Some(cases) = cases {
        w.write("cases.csv", cases);
        args.extend(["--cases", "cases.csv"]);
    }
    let before = snapshot(&w.path("p"));
    let r = w.run(&args).exits(3);
    assert_eq!(snapshot(&w.path("p")), before, "nothing written");
    (r.status, r.stderr)
}

const SMALL: &str = "---\nsource: XX-1\ncountry: BE\nlanguage: nl\nmethod: interview\nspeaker I: interviewer\nspeaker R: role=EPR gender=M\n---\nI: Vraag?\nR: Antwoord.\n";

#[test]
fn a_cases_quote_left_open_at_the_end_of_the_file_is_refused() {
    let (status, stderr) = refused(SMALL, Some(b"source,note\nXX-1,ok\nXX-1,\"never closed\nstill open\n"));
    assert_eq!((status, stderr.as_str()), (3, "quire: cases.csv:3: a double quote opened here is never closed\n"));
}

#[test]
fn a_cases_row_for_an_unknown_source_is_refused() {
    let (status, stderr) = refused(SMALL, Some(b"source,note\nXX-1,ok\nXX-11,typo\n"));
    assert_eq!((status, stderr.as_str()), (3, "quire: cases.csv:3: source `XX-11` is neither among the transcripts given nor in the project\n"));
}

#[test]
fn a_cases_row_for_a_source_already_in_the_project_is_accepted() {
    let w = Workdir::new();
    w.init("p", "nl");
    w.write("in/XX-1.txt", SMALL);
    w.run(&["--project", "p", "ingest", "in"]).ok();
    w.write("more/XX-2.txt", SMALL.replace("XX-1", "XX-2"));
    w.write("cases.csv", "source,note\nXX-1,old\nXX-2,new\n");
    w.run(&["--project", "p", "ingest", "more", "--cases", "cases.csv"]).ok();
    let listed = w.run(&["--project", "p", "sources", "--format", "json"]).ok().json();
    let notes: Vec<_> = listed.as_array().unwrap().iter().map(|s| (s["source"].clone(), s["attributes"]["note"].clone())).collect();
    assert_eq!(notes, [(serde_json::json!("XX-1"), serde_json::Value::Null), (serde_json::json!("XX-2"), serde_json::json!("new"))]);
}

#[test]
fn a_cases_column_that_is_no_attribute_name_is_refused() {
    let (status, stderr) = refused(SMALL, Some(b"source,my note\nXX-1,x\n"));
    assert_eq!(
        (status, stderr.as_str()),
        (3, "quire: cases.csv:1: column `my note` is no attribute name (letters, digits, `_`, `-`, `.`, starting with a letter or `_`)\n")
    );
    let (status, stderr) = refused(SMALL, Some(b"source,note,\nXX-1,x,\nXX-1,,stray\n"));
    assert_eq!((status, stderr.as_str()), (3, "quire: cases.csv:3: a value in column 3, which has no name\n"));
}

#[test]
fn a_nul_byte_in_a_transcript_is_refused_with_its_line() {
    let (status, stderr) = refused(&SMALL.replace("Antwoord.", "Ant\0woord."), None);
    assert_eq!((status, stderr.as_str()), (3, "quire: in/XX-1.txt:10: NUL byte at column 7; the file is not plain text (save it as UTF-8 text)\n"));
}

#[test]
fn a_nul_byte_in_a_cases_sheet_is_refused_with_its_line() {
    let (status, stderr) = refused(SMALL, Some(b"source,note\nXX-1,a\0b\n"));
    assert_eq!((status, stderr.as_str()), (3, "quire: cases.csv:2: NUL byte at column 7; the file is not plain text (save it as UTF-8 text)\n"));
}
