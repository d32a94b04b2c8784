//! Fuzz target: codebook JSON reading, validation, rule parsing and code resolution never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use quire::codebook::{rule, validate, Codebook};

fuzz_target!(|data: &[u8]| {
    if let Ok(cb) = Codebook::from_json(Path::new("fuzz.json"), data) {
        let _ = validate::validate(&cb);
        for v in cb.walk() {
            for text in v.code.rules.values() {
                let _ = rule::parse(text);
            }
            let _ = cb.resolve(v.path.leaf());
        }
        let _ = cb.to_json();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = rule::parse(text);
    }
});
