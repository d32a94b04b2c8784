//! The project directory: an opened project and its layout. The files below hold its parts, each
//! depending only on those listed before it: `layout` (names), `atomic` (atomic writes and lock
//! files), `manifest`, `sums`, `fingerprint`, `inside` (paths that stay inside), `commit_lock`,
//! `lock` (the writer lock), `history` (the project's writes, for `log` and `undo`), `journal` (a
//! transaction's renames and their recovery); `txn` (transactions) sits above the `Project` of
//! this file, and `history::undo` above it.

pub mod atomic;
pub mod commit_lock;
pub mod fingerprint;
pub mod history;
pub mod inside;
pub mod journal;
pub mod layout;
pub mod lock;
pub mod manifest;
pub mod sums;
pub mod txn;

use std::fs;
use std::path::{Path, PathBuf};

pub(crate) use atomic::open_lock_file;
pub use atomic::{write_atomic, write_atomic_with};
pub(crate) use fingerprint::Fnv;
pub use layout::{CODINGS_DIR, MANIFEST, MEMOS_DIR, SOURCES_DIR, STATE_DIR};
pub use lock::WriteLock;
pub use manifest::{Manifest, FORMAT_VERSION};
pub use sums::{sha256_hex, sums_bytes, SUMS_FILE};

use crate::corpus::{Source, SourceId};
use crate::error::{Error, MissingProject, Result};

/// An opened project directory.
#[derive(Debug)]
pub struct Project {
    root: PathBuf,
    pub manifest: Manifest,
    /// This process's shared hold of the commit lock while it reads (see [`Project::end_reading`]).
    reading: std::sync::Mutex<Option<commit_lock::Shared>>,
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
        drop(commit_lock::exclusive(&project.root)?);
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
        let manifest = Manifest::read(&manifest_path).map_err(|e| match e {
            Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Error::NoProject(MissingProject::Named { manifest: manifest_path.clone(), source })
            }
            e => e,
        })?;
        let project = Project { root: dir.to_path_buf(), manifest, reading: Default::default() };
        inside::check_layout(&project.root, &project.manifest.codebook)?;
        loop {
            let shared = commit_lock::shared(&project.root)?;
            if !journal::pending(&project.root) {
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
                None => return Err(Error::NoProject(MissingProject::Searched { start })),
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
        let lock = lock::acquire(&self.root)?;
        journal::recover(&self.root)?;
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
        inside::check_not_outside(&self.root, &path, &mut None)?;
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

impl Project {
    pub fn sums_path(&self) -> PathBuf {
        self.sources_dir().join(SUMS_FILE)
    }

    /// Recorded hashes by file name (`PT-PR-01.txt`); `None` if the project has no sums file.
    pub fn read_sums(&self) -> Result<Option<std::collections::BTreeMap<String, String>>> {
        sums::read(&self.sums_path())
    }

    /// Stages source files in `tx` with their hashes: each `(id, canonical bytes, write)` records
    /// the hash in `SHA256SUMS` and, when `write`, replaces `sources/ID.txt`; the updated sums
    /// file is staged after them. Sources not named keep their recorded hashes.
    pub fn stage_sources(&self, tx: &mut txn::Transaction<'_>, sources: impl IntoIterator<Item = (String, Vec<u8>, bool)>) -> Result<()> {
        let mut sums = self.read_sums()?.unwrap_or_default();
        for (id, bytes, write) in sources {
            let name = format!("{id}.txt");
            sums.insert(name.clone(), sha256_hex(&bytes));
            if write {
                tx.write(self.sources_dir().join(name), bytes);
            }
        }
        tx.write(self.sums_path(), sums_bytes(&sums));
        Ok(())
    }

    /// Changes whenever a source is added, replaced or removed, or any coding file changes
    /// (names, sizes and modification times): derived state records it to know when it is stale.
    pub fn fingerprint(&self) -> Result<String> {
        fingerprint::fingerprint(&self.root)
    }
}
