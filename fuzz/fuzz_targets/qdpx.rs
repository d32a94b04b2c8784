//! Fuzz target: the .qdpx reader (zip, XML, positions, conversion) never panics. Seed the corpus
//! with real exports (`../shared/refi/samples/*.qdpx`) and quire's own.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use quire::refi::import::{read_bytes, Options};

fuzz_target!(|data: &[u8]| {
    let _ = read_bytes(Path::new("fuzz.qdpx"), data, &Options::default());
});
