//! The project's fingerprint, which derived state records to know when it is stale, and the
//! stable FNV-1a hasher behind it.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::atomic::TMP_PREFIX;
use super::layout::{CODINGS_DIR, SOURCES_DIR};
use crate::error::{Error, Result};

/// FNV-1a, stable across builds (unlike `DefaultHasher`): keys of derived state.
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100_0000_01b3);
        }
    }

    pub(crate) fn value(&self) -> u64 {
        self.0
    }

    pub(crate) fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// Changes whenever a source is added, replaced or removed, or any coding file changes
/// (names, sizes and modification times) in the project at `root`.
pub fn fingerprint(root: &Path) -> Result<String> {
    Ok(file_prints(root)?.0)
}

/// The project's fingerprint and, by file (`sources/NAME` or `codings/NAME`), each file's own
/// (its size and modification time): what an incremental index update compares to find what
/// changed.
pub fn file_prints(root: &Path) -> Result<(String, BTreeMap<String, String>)> {
    let mut h = Fnv::new();
    let mut files = BTreeMap::new();
    for (name, dir) in [(SOURCES_DIR, root.join(SOURCES_DIR)), (CODINGS_DIR, root.join(CODINGS_DIR))] {
        let mut entries: Vec<fs::DirEntry> = match fs::read_dir(&dir) {
            Ok(e) => e.filter_map(|e| e.ok()).collect(),
            Err(_) => Vec::new(),
        };
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            // A writer's temporary file is not part of any state (and may vanish meanwhile).
            if entry.file_name().as_encoded_bytes().starts_with(TMP_PREFIX.as_bytes()) {
                continue;
            }
            // Read beside the directory handle (cheaper than resolving each path); a link is followed.
            let meta = match entry.metadata() {
                Ok(m) if !m.file_type().is_symlink() => m,
                _ => fs::metadata(entry.path()).map_err(|e| Error::io(entry.path(), e))?,
            };
            let nanos = meta.modified().ok().map(|m| m.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
            h.write(entry.file_name().as_encoded_bytes());
            h.write(&meta.len().to_le_bytes());
            if let Some(nanos) = nanos {
                h.write(&nanos.to_le_bytes());
            }
            let file = format!("{name}/{}", entry.file_name().to_string_lossy());
            files.insert(file, format!("{}:{}", meta.len(), nanos.unwrap_or(0)));
        }
    }
    Ok((h.hex(), files))
}
