//! `sources/SHA256SUMS`: the SHA-256 of every source file as ingested, in `sha256sum` format, so
//! `quire verify` (or `sha256sum -c` inside `sources/`) notices edits made outside quire.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::error::{Error, Location, Result};

/// The file name, inside `sources/`.
pub const SUMS_FILE: &str = "SHA256SUMS";

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Recorded hashes by file name (`PT-PR-01.txt`); `None` if there is no sums file at `path`.
pub fn read(path: &Path) -> Result<Option<BTreeMap<String, String>>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut sums = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some((hash, name)) = line.split_once("  ") else {
            return Err(Error::corrupt_at(Location::line(path, i + 1), "expected `HASH  FILE`"));
        };
        sums.insert(name.to_string(), hash.to_string());
    }
    Ok(Some(sums))
}

pub fn sums_bytes(sums: &BTreeMap<String, String>) -> Vec<u8> {
    sums.iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect::<String>().into_bytes()
}
