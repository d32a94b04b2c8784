//! Sources edited outside quire: reads that use offsets (quotes, tables, exports, reports,
//! agreement) refuse a project whose source files no longer match the hashes recorded at ingest
//! (`sources/SHA256SUMS`), since every coding would point at other text.
//!
//! Cheap on an unchanged project: `.quire/sources-checked` records the project fingerprint at the
//! last check that passed (nothing more is read while it holds), and each file's size, time and
//! hash, so after a change only files whose size or time changed are hashed again.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};
use crate::project::{sha256_hex, write_atomic, Project};

const CACHE_FILE: &str = "sources-checked";
const MAGIC: &str = "quire sources checked 1";
/// A file changed this recently may change again within the same timestamp: its hash is not kept
/// (the fingerprint is: like the index's freshness, it sees a change of size or time).
const RACY: Duration = Duration::from_secs(2);

/// A source file's size and modification time (nanoseconds), and its hash then.
type Seen = (u64, u128, String);

fn cache_path(project: &Project) -> PathBuf {
    project.state_dir().join(CACHE_FILE)
}

/// The fingerprint of the last check that passed, and the lines of the files it saw (read only
/// when the fingerprint differs).
fn read_cache(project: &Project) -> Option<(String, String)> {
    let text = fs::read_to_string(cache_path(project)).ok()?;
    let rest = text.strip_prefix(MAGIC)?.strip_prefix('\n')?;
    let (fingerprint, files) = rest.split_once('\n')?;
    Some((fingerprint.to_string(), files.to_string()))
}

fn parse_files(lines: &str) -> HashMap<&str, Seen> {
    let mut files = HashMap::new();
    for line in lines.lines() {
        let mut parts = line.split('\t');
        if let (Some(name), Some(len), Some(time), Some(hash)) = (parts.next(), parts.next(), parts.next(), parts.next()) {
            if let (Ok(len), Ok(time)) = (len.parse(), time.parse()) {
                files.insert(name, (len, time, hash.to_string()));
            }
        }
    }
    files
}

/// Caches what was seen; a project that cannot be written to is only checked again next time.
fn save_cache(project: &Project, fingerprint: &str, files: &[(String, Seen)]) {
    let mut text = format!("{MAGIC}\n{fingerprint}\n");
    for (name, (len, time, hash)) in files {
        text.push_str(&format!("{name}\t{len}\t{time}\t{hash}\n"));
    }
    let _ = write_atomic(&cache_path(project), text.as_bytes());
}

/// Fails with [`Error::SourcesEdited`] if a source file differs from its recorded hash.
/// `fingerprint` is the project's current [`Project::fingerprint`]. A project without recorded
/// hashes, or a source without one, is not refused here (`quire verify` reports it).
pub fn check(project: &Project, fingerprint: &str) -> Result<()> {
    let cache = read_cache(project);
    if cache.as_ref().is_some_and(|(checked, _)| checked == fingerprint) {
        return Ok(());
    }
    let known_files = cache.as_ref().map(|(_, lines)| parse_files(lines)).unwrap_or_default();
    let Some(recorded) = project.read_sums()? else {
        return Ok(());
    };
    let dir = project.sources_dir();
    let now = SystemTime::now();
    let mut seen: Vec<(String, Seen)> = Vec::new();
    let mut edited: Vec<PathBuf> = Vec::new();
    let mut names: Vec<String> = recorded.keys().cloned().collect();
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            // A missing source is not an edit of its offsets; `verify` reports the stale hash.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let time = modified.duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let known = known_files.get(name.as_str()).filter(|(len, t, _)| *len == meta.len() && *t == time);
        let hash = match known {
            Some((_, _, hash)) => hash.clone(),
            None => sha256_hex(&fs::read(&path).map_err(|e| Error::io(&path, e))?),
        };
        if hash != recorded[&name] {
            edited.push(path);
        }
        if now.duration_since(modified).is_ok_and(|age| age >= RACY) {
            seen.push((name, (meta.len(), time, hash)));
        }
    }
    if !edited.is_empty() {
        // Nothing is written: a refused read leaves the project as it was.
        let others = edited.len() - 1;
        return Err(Error::SourcesEdited { first: edited.swap_remove(0), others });
    }
    save_cache(project, fingerprint, &seen);
    Ok(())
}
