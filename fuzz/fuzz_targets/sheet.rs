//! Fuzz target: the coding-sheet reader must never panic, whatever the CSV.
#![no_main]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use quire::codebook::Codebook;
use quire::coding::sheet;
use quire::corpus::{transcript, Language, Source};

const SOURCE: &str = "---\nsource: S-1\ncountry: BE\nspeaker I: interviewer\nspeaker R: role=PR gender=M\n---\nI: Vraag?\nR: Antwoord een.\n\nAntwoord twee.\n";
const CODEBOOK: &str = r#"{"format":1,"name":"f","codes":[{"id":"a","name":"A","children":[{"id":"b","name":"B"}]}]}"#;

fn fixtures() -> &'static (BTreeMap<String, Source>, Codebook) {
    static F: OnceLock<(BTreeMap<String, Source>, Codebook)> = OnceLock::new();
    F.get_or_init(|| {
        let s = transcript::parse(Path::new("S-1.txt"), SOURCE.as_bytes(), Language::Dutch, None).unwrap();
        let cb = Codebook::from_json(Path::new("c.json"), CODEBOOK.as_bytes()).unwrap();
        (BTreeMap::from([("S-1".to_string(), s)]), cb)
    })
}

fuzz_target!(|data: &[u8]| {
    let (sources, codebook) = fixtures();
    let _ = sheet::read_bytes(Path::new("sheet.csv"), data, sources, codebook);
});
