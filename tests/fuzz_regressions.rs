//! Inputs the fuzz targets (`fuzz/fuzz_targets/`) found or that probe their edges, replayed
//! through the same code on every test run: none may panic, and the transcript round trip holds.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

mod common;

use quire::codebook::{rule, validate, Codebook};
use quire::coding::sheet;
use quire::corpus::{transcript, Language};
use quire::refi::import::{read_bytes, Options};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = common::repo().join("tests/data/fuzz").join(target);
    let mut files: Vec<(PathBuf, Vec<u8>)> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression inputs for {target}");
    files
}

#[test]
fn transcript_inputs_parse_or_fail_cleanly_and_round_trip() {
    for (path, data) in inputs("transcript") {
        if let Ok(source) = transcript::parse(Path::new("fuzz.txt"), &data, Language::English, None) {
            let rendered = transcript::render(&source);
            let again = transcript::parse(Path::new("fuzz.txt"), rendered.as_bytes(), Language::English, None)
                .unwrap_or_else(|e| panic!("{}: canonical form does not parse: {e}", path.display()));
            assert_eq!(transcript::render(&again), rendered, "{}", path.display());
            // parse(render(parse(x))) == parse(x), but for the lines of segments (comments and
            // blank lines of a header are not kept).
            let unlined = |s: &quire::corpus::Source| {
                let mut s = s.clone();
                s.segments.iter_mut().for_each(|g| g.line = 0);
                s
            };
            assert_eq!(unlined(&again), unlined(&source), "{}", path.display());
        }
    }
}

#[test]
fn sheet_inputs_fail_cleanly() {
    let source =
        "---\nsource: S-1\ncountry: BE\nspeaker I: interviewer\nspeaker R: role=PR gender=M\n---\nI: Vraag?\nR: Antwoord een.\n\nAntwoord twee.\n";
    let s = transcript::parse(Path::new("S-1.txt"), source.as_bytes(), Language::Dutch, None).unwrap();
    let sources = BTreeMap::from([("S-1".to_string(), s)]);
    let cb = Codebook::from_json(Path::new("c.json"), br#"{"format":1,"name":"f","codes":[{"id":"a","name":"A"}]}"#).unwrap();
    for (_, data) in inputs("sheet") {
        let _ = sheet::read_bytes(Path::new("sheet.csv"), &data, &sources, &cb);
    }
}

#[test]
fn codebook_inputs_fail_cleanly() {
    for (_, data) in inputs("codebook_json") {
        if let Ok(cb) = Codebook::from_json(Path::new("fuzz.json"), &data) {
            let _ = validate::validate(&cb);
            for v in cb.walk() {
                for text in v.code.rules.values() {
                    let _ = rule::parse(text);
                }
            }
        }
    }
}

#[test]
fn qdpx_inputs_fail_cleanly() {
    for (path, data) in inputs("qdpx") {
        assert!(read_bytes(Path::new("fuzz.qdpx"), &data, &Options::default()).is_err(), "{}", path.display());
    }
}
