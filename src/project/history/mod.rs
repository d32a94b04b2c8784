//! The project's history (`history/` in the project folder): one numbered entry per write, with
//! the before-image of every file the write replaced or removed and the list of files it created,
//! so that `quire undo` can put them back byte for byte. An entry is staged by
//! [`record`] into the very transaction that makes the write (`txn.rs`), so a crash leaves both or
//! neither. The folder is part of the project (a copy or clone of the folder keeps it), unlike the
//! derived state in `.quire/`, which is never recorded.
//!
//! Layout, format 1 (`HISTORY_FORMAT`): `history/000017/entry.json` (see [`Entry`]) and
//! `history/000017/before/K`, the bytes of the K-th file of the entry before the write. The entry
//! file is the last rename of its transaction: a folder without one is a write that never
//! happened and is removed by recovery. A project being built in a staging folder (`merge --into
//! NEW`, `import qdpx`) records nothing: like `init`, that creates the project. Bounded: the
//! newest [`keep`] entries and at most [`max_bytes`] in all are kept (the newest entry always);
//! older ones are dropped after each write.

pub mod summary;
pub mod undo;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::atomic::TMP_PREFIX;
use super::layout::{STAGING_LOCK, STATE_DIR};
use super::sums::sha256_hex;
use crate::error::{Error, Location, Result};

/// The history folder, beside `quire.toml`.
pub const HISTORY_DIR: &str = "history";
/// The version of an entry file; a newer one is refused, older ones stay readable.
pub const HISTORY_FORMAT: u32 = 1;
const ENTRY: &str = "entry.json";
const BEFORE: &str = "before";
/// Entries kept by default (`QUIRE_HISTORY_KEEP` changes it).
pub const DEFAULT_KEEP: usize = 100;
/// Bytes kept by default (`QUIRE_HISTORY_MAX_BYTES` changes it): 200 MB.
pub const DEFAULT_MAX_BYTES: u64 = 200 * 1024 * 1024;

static COMMAND: Mutex<String> = Mutex::new(String::new());

/// Sets the command line recorded with every write of this process (`quire code X:3 housing`):
/// the program's arguments after its name, quoted where a shell would need it.
pub fn set_command<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) {
    let mut line = String::from("quire");
    for arg in args {
        let arg = arg.as_ref().to_string_lossy();
        line.push(' ');
        let plain = !arg.is_empty() && arg.chars().all(|c| c.is_alphanumeric() || "-_./:,=@+%".contains(c));
        if plain {
            line.push_str(&arg);
        } else {
            line.push('\'');
            line.push_str(&arg.replace('\'', r"'\''"));
            line.push('\'');
        }
    }
    *COMMAND.lock().unwrap_or_else(|e| e.into_inner()) = line;
}

fn command() -> String {
    COMMAND.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// One write of the project.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub format: u32,
    /// 1 for the project's first recorded write, then one more for each.
    pub number: u64,
    /// When it was written (RFC 3339, UTC, to the second).
    pub time: String,
    /// The command line (empty when the write did not come from the command line).
    pub command: String,
    /// The writes this one reverted, when it is an undo.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undoes: Vec<u64>,
    /// Every file the write changed, in the order written.
    pub files: Vec<FileChange>,
    /// What changed, counted.
    pub changes: summary::Changes,
}

/// One file of an entry: its hash before the write (none: the write created it) with the path of
/// its before-image inside the entry's folder, and its hash after (none: the write removed it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileChange {
    /// Relative to the project, with `/`.
    pub path: String,
    pub before_sha256: Option<String>,
    pub before: Option<String>,
    pub after_sha256: Option<String>,
}

/// The new contents of a file a transaction writes, as history reads them.
pub(crate) enum After<'a> {
    Bytes(&'a [u8]),
    /// Already written to this (temporary) file.
    File(&'a Path),
    Removed,
}

/// A file the history adds to a transaction.
pub(crate) enum Extra {
    Write(PathBuf, Vec<u8>),
    /// A hard link to `from` (a file the transaction replaces) made at `to`; the caller copies
    /// the bytes where the file system has no hard links.
    Link {
        from: PathBuf,
        to: PathBuf,
    },
}

/// The history folder of the project at `root`.
pub fn dir(root: &Path) -> PathBuf {
    root.join(HISTORY_DIR)
}

fn entry_dir(root: &Path, number: u64) -> PathBuf {
    dir(root).join(format!("{number:06}"))
}

/// Is `rel` (relative to the project) recorded? Derived state and the history itself are not.
fn recorded(rel: &Path) -> bool {
    !(rel.starts_with(STATE_DIR) || rel.starts_with(HISTORY_DIR))
}

/// The entry folders of the project at `root` by number (with or without an entry file).
fn entry_dirs(root: &Path) -> Vec<(u64, PathBuf)> {
    let Ok(read) = fs::read_dir(dir(root)) else { return Vec::new() };
    let mut dirs: Vec<(u64, PathBuf)> = read
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let n = (name.len() >= 6 && name.bytes().all(|b| b.is_ascii_digit())).then(|| name.parse().ok()).flatten()?;
            Some((n, e.path()))
        })
        .collect();
    dirs.sort();
    dirs
}

/// Every entry of the project at `root`, oldest first.
pub fn entries(root: &Path) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for (number, path) in entry_dirs(root) {
        let file = path.join(ENTRY);
        let bytes = match fs::read(&file) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&file, e)),
        };
        out.push(parse_entry(&file, &bytes, number)?);
    }
    Ok(out)
}

fn parse_entry(file: &Path, bytes: &[u8], number: u64) -> Result<Entry> {
    #[derive(Deserialize)]
    struct Version {
        format: u32,
    }
    let corrupt = |e: serde_json::Error| Error::corrupt_at(Location::file(file), format!("unreadable history entry: {e}"));
    let version: Version = serde_json::from_slice(bytes).map_err(corrupt)?;
    if version.format > HISTORY_FORMAT {
        return Err(Error::FormatTooNew { path: file.to_path_buf(), found: version.format, supported: HISTORY_FORMAT });
    }
    let entry: Entry = serde_json::from_slice(bytes).map_err(corrupt)?;
    if entry.number != number {
        return Err(Error::corrupt_at(Location::file(file), format!("entry number {} in folder {number:06}", entry.number)));
    }
    // Only files inside the project, and before-images inside the entry's folder.
    for f in &entry.files {
        for path in std::iter::once(&f.path).chain(&f.before) {
            if !super::inside::is_plain_relative(Path::new(path)) || !recorded(Path::new(&f.path)) {
                return Err(Error::corrupt_at(Location::file(file), format!("`{path}` is not a file quire records inside this project")));
            }
        }
    }
    Ok(entry)
}

/// The bytes of the before-image `blob` of entry `number`, checked against its hash.
pub(crate) fn before_image(root: &Path, number: u64, blob: &str, sha256: &str) -> Result<Vec<u8>> {
    let path = entry_dir(root, number).join(blob);
    let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
    if sha256_hex(&bytes) != sha256 {
        return Err(Error::corrupt_at(Location::file(&path), "this before-image does not match the hash its entry recorded; it cannot be restored"));
    }
    Ok(bytes)
}

/// Stages the history entry of a write changing `files` (absolute paths with their new
/// contents) of the project at `root`: the before-image of each file that exists, then the entry
/// file, last. Nothing (an empty list) when no recorded file changes.
pub(crate) fn record(root: &Path, codebook: &Path, undoes: &[u64], files: &[(PathBuf, After<'_>)]) -> Result<Vec<Extra>> {
    // A project being built (`merge --into NEW`, `import qdpx`) is created, like `init`, not changed.
    if root.join(STATE_DIR).join(STAGING_LOCK).exists() {
        return Ok(Vec::new());
    }
    // The last change of a path wins, as in the transaction.
    let mut last: BTreeMap<&Path, usize> = BTreeMap::new();
    for (i, (path, _)) in files.iter().enumerate() {
        last.insert(path, i);
    }
    // Numbered after the last entry (read by name only: a write need not parse the history).
    let number = entry_dirs(root).iter().rev().find(|(_, p)| p.join(ENTRY).is_file()).map_or(1, |(n, _)| n + 1);
    let folder = entry_dir(root, number);
    let mut extras = Vec::new();
    let mut changes = Vec::new();
    let mut diffs = Vec::new();
    for (i, (path, after)) in files.iter().enumerate() {
        let Ok(rel) = path.strip_prefix(root) else { continue };
        if last.get(path.as_path()) != Some(&i) || !recorded(rel) {
            continue;
        }
        let before = match fs::read(path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(path, e)),
        };
        let after_bytes = match after {
            After::Bytes(b) => Some(b.to_vec()),
            After::File(f) => Some(fs::read(f).map_err(|e| Error::io(path, e))?),
            After::Removed => None,
        };
        if before == after_bytes {
            continue;
        }
        let rel_text = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let blob = before.as_ref().map(|_| format!("{BEFORE}/{}", changes.len()));
        if let Some(blob) = &blob {
            extras.push(Extra::Link { from: path.clone(), to: folder.join(blob) });
        }
        changes.push(FileChange {
            path: rel_text.clone(),
            before_sha256: before.as_deref().map(sha256_hex),
            before: blob,
            after_sha256: after_bytes.as_deref().map(sha256_hex),
        });
        diffs.push((rel_text, before, after_bytes));
    }
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let codebook = codebook.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
    let entry = Entry {
        format: HISTORY_FORMAT,
        number,
        time: crate::clock::now_rfc3339(),
        command: command(),
        undoes: undoes.to_vec(),
        files: changes,
        changes: summary::Changes::of(&codebook, &diffs),
    };
    let json = serde_json::to_vec_pretty(&entry).expect("an entry serialises");
    extras.push(Extra::Write(folder.join(ENTRY), json));
    Ok(extras)
}

/// How many entries are kept: `QUIRE_HISTORY_KEEP`, else [`DEFAULT_KEEP`] (at least 1).
pub fn keep() -> usize {
    std::env::var("QUIRE_HISTORY_KEEP").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_KEEP).max(1)
}

/// How many bytes the entries may take: `QUIRE_HISTORY_MAX_BYTES`, else [`DEFAULT_MAX_BYTES`].
pub fn max_bytes() -> u64 {
    std::env::var("QUIRE_HISTORY_MAX_BYTES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_MAX_BYTES)
}

fn size_of(path: &Path) -> u64 {
    let Ok(read) = fs::read_dir(path) else { return 0 };
    read.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => size_of(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Drops the oldest entries beyond the bound (best effort: a failure leaves them for the next
/// write). Each is first renamed to a temporary name, so it is never seen half removed.
pub(crate) fn prune(root: &Path) {
    let dirs = entry_dirs(root);
    let mut sizes: Vec<u64> = dirs.iter().map(|(_, p)| size_of(p)).collect();
    let (keep, max) = (keep(), max_bytes());
    let mut total: u64 = sizes.iter().sum();
    let mut count = dirs.len();
    for (number, path) in &dirs {
        if count <= 1 || (count <= keep && total <= max) {
            break;
        }
        let gone = dir(root).join(format!("{TMP_PREFIX}dropped-{number:06}"));
        if fs::rename(path, &gone).is_err() || fs::remove_dir_all(&gone).is_err() {
            return;
        }
        total -= sizes.remove(0);
        count -= 1;
    }
}

/// After recovery has finished any interrupted transaction: removes the temporary files of
/// writes that never reached their journal, entry folders without an entry file, and entries
/// dropped half-way.
pub(crate) fn cleanup(root: &Path) {
    let history = dir(root);
    let Ok(read) = fs::read_dir(&history) else { return };
    for e in read.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        if name.starts_with(TMP_PREFIX) {
            let _ = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        }
    }
    for (_, path) in entry_dirs(root) {
        if !path.join(ENTRY).is_file() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}
