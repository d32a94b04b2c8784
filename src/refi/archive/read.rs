//! Reading a `.qdpx` archive safely into memory, within [`Limits`] (see `refi::archive`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use zip::ZipArchive;

use crate::error::{Error, Location, Result};

/// Caps on what reading an archive may unpack.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most entries (files and folders) an archive may hold.
    pub max_entries: usize,
    /// Most bytes all entries together may unpack to.
    pub max_total: u64,
    /// Most bytes one entry (`project.qde`, a source's text) may unpack to.
    pub max_entry: u64,
}

/// A mebibyte.
pub const MIB: u64 = 1024 * 1024;

impl Default for Limits {
    /// 10,000 entries, 96 MiB an entry and 128 MiB in all: room for the `project.qde` of quire's
    /// 1,000-interview benchmark (64 MB of XML; a real study's is a few MB) and its texts (15 MB),
    /// or the `.docx` copies NVivo adds. An import holds about 5 bytes for each byte of text.
    fn default() -> Limits {
        Limits { max_entries: 10_000, max_total: 128 * MIB, max_entry: 96 * MIB }
    }
}

/// `n` bytes in MiB for messages (`128 MiB`), or bytes when they are not a whole number of MiB.
fn shown_size(n: u64) -> String {
    if n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

/// The files of an archive, by their (checked) names, read into memory.
#[derive(Debug, Default)]
pub struct Entries {
    files: BTreeMap<String, Vec<u8>>,
}

/// `IN.qdpx!entry`: how errors name a file inside an archive.
pub fn entry_location(archive: &Path, entry: &str, line: Option<usize>) -> Location {
    Location { path: format!("{}!{entry}", archive.display()).into(), line }
}

/// Is `name` a safe relative path inside the archive? Returns it with `/` separators.
pub(super) fn safe_name(name: &str) -> Option<String> {
    let name = name.replace('\\', "/");
    if name.is_empty() || name.starts_with('/') || name.contains('\0') {
        return None;
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return None; // `C:...`
    }
    if name.split('/').any(|part| part == "..") {
        return None;
    }
    Some(name)
}

impl Entries {
    /// Reads every entry of the archive at `path` (named `shown` in errors) within `limits`.
    pub fn read(path: &Path, limits: Limits) -> Result<Entries> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        Entries::from_reader(path, std::io::BufReader::new(file), limits)
    }

    pub fn from_reader<R: Read + std::io::Seek>(path: &Path, reader: R, limits: Limits) -> Result<Entries> {
        let whole = |message: String| Error::invalid(Location::file(path), message);
        let mut archive = ZipArchive::new(reader).map_err(|e| whole(format!("not a readable zip archive: {e}")))?;
        if archive.len() > limits.max_entries {
            return Err(whole(format!(
                "the archive has {} entries, more than the {} allowed (a zip bomb?); nothing was read",
                archive.len(),
                limits.max_entries
            )));
        }
        // Names first, and the sizes the headers declare: refuse before unpacking anything.
        let mut declared: u64 = 0;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(|e| whole(format!("entry {i}: {e}")))?;
            let raw = entry.name().map_err(|e| whole(format!("entry {i}: unreadable name: {e}")))?.to_string();
            if safe_name(&raw).is_none() {
                return Err(Error::invalid(
                    entry_location(path, &raw, None),
                    "unsafe entry name (`..`, an absolute path or a drive letter would write outside the project); refused",
                ));
            }
            if entry.size() > limits.max_entry {
                return Err(Error::invalid(
                    entry_location(path, &raw, None),
                    format!(
                        "declares {} unpacked bytes, more than the {} one entry may hold (a zip bomb?); nothing was read",
                        entry.size(),
                        shown_size(limits.max_entry)
                    ),
                ));
            }
            declared = declared.saturating_add(entry.size());
        }
        if declared > limits.max_total {
            return Err(whole(format!(
                "the archive declares {declared} unpacked bytes, more than the {} allowed (a zip bomb?); nothing was read",
                shown_size(limits.max_total)
            )));
        }
        let mut files = BTreeMap::new();
        let mut budget = limits.max_total;
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| whole(format!("entry {i}: {e}")))?;
            let name = safe_name(&entry.name().map_err(|e| whole(format!("entry {i}: unreadable name: {e}")))?).expect("checked above");
            if entry.is_dir() {
                continue;
            }
            // Never trust the header: read at most one byte more than the entry may hold, or
            // than the budget left; its declared size (checked above) is only a capacity hint.
            let cap = budget.min(limits.max_entry);
            let mut bytes = Vec::with_capacity(entry.size().min(cap) as usize);
            let read = (&mut entry)
                .take(cap + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::invalid(entry_location(path, &name, None), format!("cannot unpack: {e}")))?;
            if read as u64 > cap {
                let message = if cap == limits.max_entry {
                    format!("unpacks to more than the {} one entry may hold (a zip bomb?); nothing was read", shown_size(limits.max_entry))
                } else {
                    format!("unpacking goes past the {} allowed for the whole archive (a zip bomb?); nothing was read", shown_size(limits.max_total))
                };
                return Err(Error::invalid(entry_location(path, &name, None), message));
            }
            budget -= read as u64;
            if files.insert(name.clone(), bytes).is_some() {
                return Err(Error::invalid(entry_location(path, &name, None), "the archive holds this entry twice"));
            }
        }
        Ok(Entries { files })
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Removes an entry, handing over its bytes.
    pub fn take(&mut self, name: &str) -> Option<Vec<u8>> {
        self.files.remove(name)
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files.get(name).map(Vec::as_slice)
    }

    /// Finds an entry by name ignoring ASCII case (`Sources/` vs `sources/`).
    pub fn find(&self, name: &str) -> Option<(&str, &[u8])> {
        if let Some((k, v)) = self.files.get_key_value(name) {
            return Some((k.as_str(), v.as_slice()));
        }
        self.files.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}
