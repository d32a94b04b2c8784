//! Fuzz target: the transcript parser and the canonical writer must never panic, and what the
//! writer produces must parse back to the same source.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use quire::corpus::{transcript, Language};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.txt");
    if let Ok(source) = transcript::parse(path, data, Language::English, None) {
        let rendered = transcript::render(&source);
        let again = transcript::parse(path, rendered.as_bytes(), Language::English, None).expect("canonical form parses");
        assert_eq!(again.segments.len(), source.segments.len());
        assert_eq!(transcript::render(&again), rendered);
    }
});
