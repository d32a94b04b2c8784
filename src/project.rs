//! The project directory: layout, versioned manifest, writer lock and atomic file writes.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::corpus::{Language, Source, SourceId};
use crate::error::{Error, Location, Result};

/// The manifest format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "quire.toml";
pub const SOURCES_DIR: &str = "sources";
pub const CODINGS_DIR: &str = "codings";
pub const MEMOS_DIR: &str = "memos";
pub const STATE_DIR: &str = ".quire";
const LOCK_FILE: &str = "lock";

/// `quire.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// On-disk format version of the whole project.
    pub format: u32,
    pub name: String,
    /// Language of transcripts that do not say theirs.
    pub language: Language,
    /// Coder recorded when a command is not told one.
    pub coder: String,
    /// The codebook file, relative to the project directory.
    #[serde(default = "default_codebook")]
    pub codebook: PathBuf,
}

fn default_codebook() -> PathBuf {
    PathBuf::from("codebook.json")
}

impl Manifest {
    pub fn new(name: &str, language: Language, coder: &str) -> Manifest {
        Manifest { format: FORMAT_VERSION, name: name.to_string(), language, coder: coder.to_string(), codebook: default_codebook() }
    }

    fn read(path: &Path) -> Result<Manifest> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // Check the version before the shape, so a newer project gets the right message.
        if let Ok(table) = text.parse::<toml::Table>() {
            if let Some(found) = table.get("format").and_then(|v| v.as_integer()) {
                if found > i64::from(FORMAT_VERSION) {
                    return Err(Error::FormatTooNew { path: path.to_path_buf(), found: found as u32, supported: FORMAT_VERSION });
                }
            }
        }
        toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            Error::Invalid { location: Location { path: path.to_path_buf(), line }, message: e.message().to_string() }
        })
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("manifest serialises");
        format!("# quire project manifest\n{body}")
    }
}

/// An opened project directory.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    pub manifest: Manifest,
    /// This process's shared hold of the commit lock while it reads (see [`Project::end_reading`]).
    reading: std::sync::Mutex<Option<crate::commit_lock::Shared>>,
}

/// Held while a command writes to a project; released on drop (also when the process dies).
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

impl Project {
    /// Creates the layout of a new project in `dir` (which may exist but must not hold a project).
    pub fn init(dir: &Path, manifest: Manifest, codebook_json: &[u8]) -> Result<Project> {
        let manifest_path = dir.join(MANIFEST);
        if manifest_path.exists() {
            return Err(Error::ProjectExists { path: dir.to_path_buf() });
        }
        for sub in [SOURCES_DIR, CODINGS_DIR, MEMOS_DIR, STATE_DIR] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
        }
        let project = Project { root: dir.to_path_buf(), manifest, reading: Default::default() };
        let _lock = project.lock()?;
        // The commit lock's file too, so that the first reader finds the state folder complete.
        drop(crate::commit_lock::exclusive(&project)?);
        write_atomic(&dir.join(STATE_DIR).join(".gitignore"), b"*\n")?;
        write_atomic(&project.codebook_path(), codebook_json)?;
        // The manifest last: a project exists only once it is complete.
        write_atomic(&manifest_path, project.manifest.to_toml().as_bytes())?;
        Ok(project)
    }

    /// Opens the project at `dir` exactly, for reading: until [`Project::end_reading`] or
    /// [`Project::lock`] (or its drop) it holds the commit lock shared, so what it reads is one
    /// state of the project. A transaction a crash interrupted is finished first (under the
    /// writer lock), so readers never see half of one.
    pub fn open(dir: &Path) -> Result<Project> {
        let manifest_path = dir.join(MANIFEST);
        let manifest = Manifest::read(&manifest_path)?;
        let project = Project { root: dir.to_path_buf(), manifest, reading: Default::default() };
        crate::inside::check_layout(&project)?;
        loop {
            let shared = crate::commit_lock::shared(&project)?;
            if !crate::txn::pending(&project) {
                *project.reading.lock().unwrap_or_else(|e| e.into_inner()) = Some(shared);
                return Ok(project);
            }
            drop(shared);
            drop(project.lock()?);
        }
    }

    /// Lets go of the shared hold taken by [`Project::open`]: call it once the project files a
    /// command needs are read, before it computes and prints, so writers need not wait for that.
    pub fn end_reading(&self) {
        self.reading.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    /// Finds the project in `start` or the nearest parent directory holding a `quire.toml`.
    pub fn discover(start: &Path) -> Result<Project> {
        let start = fs::canonicalize(start).map_err(|e| Error::io(start, e))?;
        let mut dir = start.as_path();
        loop {
            if dir.join(MANIFEST).is_file() {
                return Project::open(dir);
            }
            match dir.parent() {
                Some(parent) => dir = parent,
                None => return Err(Error::NoProject { start }),
            }
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn codebook_path(&self) -> PathBuf {
        self.root.join(&self.manifest.codebook)
    }

    pub fn sources_dir(&self) -> PathBuf {
        self.root.join(SOURCES_DIR)
    }

    pub fn source_path(&self, id: &SourceId) -> PathBuf {
        self.sources_dir().join(format!("{id}.txt"))
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    /// Takes the project's writer lock, waiting up to `QUIRE_LOCK_WAIT` seconds (default 10) for
    /// another writer to finish, then finishes any interrupted transaction.
    /// Lets go of this process's shared hold first: a writer reads under the writer lock.
    pub fn lock(&self) -> Result<WriteLock> {
        self.end_reading();
        let path = self.state_dir().join(LOCK_FILE);
        let file = open_lock_file(&path)?;
        let wait: f64 = std::env::var("QUIRE_LOCK_WAIT").ok().and_then(|v| v.parse().ok()).unwrap_or(10.0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(wait.max(0.0));
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(25));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: self.root.clone() }),
                Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
        let lock = WriteLock { _file: file };
        crate::txn::recover(self)?;
        Ok(lock)
    }

    /// Ids of the sources in the project, sorted.
    pub fn source_ids(&self) -> Result<Vec<SourceId>> {
        let dir = self.sources_dir();
        let mut ids = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                if let Ok(id) = SourceId::parse(stem) {
                    ids.push(id);
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Reads one canonical source of the project.
    pub fn load_source(&self, id: &SourceId) -> Result<Source> {
        let path = self.source_path(id);
        crate::inside::check_not_outside(self, &path, &mut None)?;
        if !path.is_file() {
            return Err(Error::UnknownSource(id.to_string()));
        }
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        crate::corpus::transcript::parse(&path, &bytes, self.manifest.language, None)
    }

    /// Reads every source of the project (in parallel), sorted by id.
    pub fn load_sources(&self) -> Result<Vec<Source>> {
        use rayon::prelude::*;
        self.source_ids()?.par_iter().map(|id| self.load_source(id)).collect()
    }
}

/// `sources/SHA256SUMS`: the SHA-256 of every source file as ingested, in `sha256sum` format, so
/// `quire verify` (or `sha256sum -c` inside `sources/`) notices edits made outside quire.
pub const SUMS_FILE: &str = "SHA256SUMS";

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

impl Project {
    pub fn sums_path(&self) -> PathBuf {
        self.sources_dir().join(SUMS_FILE)
    }

    /// Recorded hashes by file name (`PT-PR-01.txt`); `None` if the project has no sums file.
    pub fn read_sums(&self) -> Result<Option<std::collections::BTreeMap<String, String>>> {
        let path = self.sums_path();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut sums = std::collections::BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let Some((hash, name)) = line.split_once("  ") else {
                return Err(Error::invalid(Location::line(&path, i + 1), "expected `HASH  FILE`"));
            };
            sums.insert(name.to_string(), hash.to_string());
        }
        Ok(Some(sums))
    }
}

pub fn sums_bytes(sums: &std::collections::BTreeMap<String, String>) -> Vec<u8> {
    sums.iter().map(|(name, hash)| format!("{hash}  {name}\n")).collect::<String>().into_bytes()
}

/// Writes `bytes` to `path` so that readers see either the old file or the new one, never a part:
/// a temporary file in the same directory, fsync, rename, then fsync of the directory.
/// Opens (creating it and its directory if need be) a file that is only ever locked, never
/// written: its lock is released when the file is closed, also when the process dies.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    let dir = dir_of(path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| Error::io(path, e))
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes).map_err(|e| Error::io(path, e)))
}

/// Replaces `path` with what `fill` writes to a temporary file beside it: synced, then renamed
/// into place, so a reader sees the old file or the whole new one. If `fill` fails, `path` is
/// untouched and the temporary file is removed.
pub fn write_atomic_with(path: &Path, fill: impl FnOnce(&mut File) -> Result<()>) -> Result<()> {
    let mut tmp = temp_beside(path)?;
    fill(tmp.as_file_mut())?;
    persist(tmp, path)
}

/// Prefix of temporary files; recovery removes those a dead process left behind.
pub(crate) const TMP_PREFIX: &str = ".quire-tmp-";

fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new temporary file in `path`'s directory (created if missing), to be renamed onto `path`.
pub(crate) fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = dir_of(path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    tempfile::Builder::new().prefix(TMP_PREFIX).tempfile_in(&dir).map_err(|e| Error::io(&dir, e))
}

/// Syncs `tmp`, renames it onto `path` and syncs the directory.
pub(crate) fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<()> {
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    crate::failpoint::hit("atomic-before-rename");
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    sync_dir(&dir_of(path));
    Ok(())
}

/// Makes a rename in `dir` durable (best effort: not every platform can open a directory).
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

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

    pub(crate) fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

impl Project {
    /// Changes whenever a source is added, replaced or removed, or any coding file changes
    /// (names, sizes and modification times): derived state records it to know when it is stale.
    pub fn fingerprint(&self) -> Result<String> {
        let mut h = Fnv::new();
        for dir in [self.sources_dir(), self.root().join(CODINGS_DIR)] {
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
                h.write(entry.file_name().as_encoded_bytes());
                h.write(&meta.len().to_le_bytes());
                if let Ok(modified) = meta.modified() {
                    let nanos = modified.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
                    h.write(&nanos.to_le_bytes());
                }
            }
        }
        Ok(h.hex())
    }
}
