//! Fuzz target: the transcript parser and the canonical writer must never panic, and what the
//! writer produces must parse back to the same source (values, speakers, body and spans).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use quire::corpus::{transcript, Language};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.txt");
    if let Ok(source) = transcript::parse(path, data, Language::English, None) {
        let rendered = transcript::render(&source);
        let again = transcript::parse(path, rendered.as_bytes(), Language::English, None).expect("canonical form parses");
        assert_eq!(transcript::render(&again), rendered);
        // The fixed point: parse(render(parse(x))) == parse(x), but for the lines of segments
        // (the canonical header keeps no comments or blank lines).
        let unlined = |s: &quire::corpus::Source| {
            let mut s = s.clone();
            s.segments.iter_mut().for_each(|g| g.line = 0);
            s
        };
        assert_eq!(unlined(&again), unlined(&source));
    }
});
