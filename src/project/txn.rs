//! Multi-file transactions: every new file is written and synced beside its target, a journal
//! listing the renames is committed atomically, then the renames run. A crash before the journal
//! leaves the old files; after it, the next process to open the project finishes the renames.
//! Either way a reader sees all of a change or none of it.

use std::fs;
use std::path::{Path, PathBuf};

use super::atomic::{persist, temp_beside, write_atomic};
use super::commit_lock;
use super::journal::{apply, check, journal_path, Journal, JOURNAL_FORMAT};
use super::Project;
use crate::error::{Error, Result};
use crate::failpoint;

/// Files to replace or remove together.
pub struct Transaction<'p> {
    /// The project's root directory.
    root: &'p Path,
    ops: Vec<(PathBuf, Op)>,
}

/// What happens to one file.
enum Op {
    /// New contents, written out at commit.
    Write(Vec<u8>),
    /// New contents already streamed to a temporary file beside the target.
    Staged(tempfile::NamedTempFile),
    Remove,
}

impl<'p> Transaction<'p> {
    pub fn new(project: &'p Project) -> Transaction<'p> {
        Transaction { root: project.root(), ops: Vec::new() }
    }

    /// Replaces (or creates) `path` with `bytes` when the transaction commits.
    pub fn write(&mut self, path: PathBuf, bytes: Vec<u8>) {
        self.ops.push((path, Op::Write(bytes)));
    }

    /// Streams the new contents of `path` through `fill` now, into a temporary file beside it
    /// (for files too large to hold in memory); it replaces `path` when the transaction commits
    /// and is removed if it never does.
    pub fn write_with(&mut self, path: PathBuf, fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) -> Result<()> {
        let mut tmp = temp_beside(&path)?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        fill(&mut w).and_then(|()| std::io::Write::flush(&mut w)).map_err(|e| Error::io(&path, e))?;
        drop(w);
        self.ops.push((path, Op::Staged(tmp)));
        Ok(())
    }

    /// Replaces the project's `quire.toml` with `manifest` when the transaction commits.
    pub fn write_manifest(&mut self, manifest: &super::Manifest) {
        self.write(self.root.join(super::MANIFEST), manifest.to_toml().into_bytes());
    }

    /// Removes `path` (if it exists) when the transaction commits.
    pub fn remove(&mut self, path: PathBuf) {
        self.ops.push((path, Op::Remove));
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Writes everything; the caller holds the project lock. The renames run under the commit
    /// lock, held exclusively, so readers see the old files or the new ones.
    pub fn commit(mut self) -> Result<()> {
        if self.ops.is_empty() {
            return Ok(());
        }
        if self.ops.len() == 1 {
            match self.ops.pop().expect("one op") {
                (path, Op::Write(bytes)) => {
                    let mut tmp = temp_beside(&path)?;
                    std::io::Write::write_all(tmp.as_file_mut(), &bytes).map_err(|e| Error::io(&path, e))?;
                    let _commit = commit_lock::exclusive(self.root)?;
                    return persist(tmp, &path);
                }
                (path, Op::Staged(tmp)) => {
                    let _commit = commit_lock::exclusive(self.root)?;
                    return persist(tmp, &path);
                }
                op => self.ops.push(op),
            }
        }
        let root = self.root;
        let relative = |p: &Path| p.strip_prefix(root).map(Path::to_path_buf).unwrap_or_else(|_| p.to_path_buf());
        // Every new file written and synced first (removed again if any of them fails: a full
        // disk leaves no temporary files behind).
        let mut staged = Vec::new();
        for (path, op) in std::mem::take(&mut self.ops) {
            let tmp = match op {
                Op::Write(bytes) => {
                    let mut tmp = temp_beside(&path)?;
                    std::io::Write::write_all(tmp.as_file_mut(), &bytes).map_err(|e| Error::io(&path, e))?;
                    Some(tmp)
                }
                Op::Staged(tmp) => Some(tmp),
                Op::Remove => None,
            };
            if let Some(tmp) = &tmp {
                tmp.as_file().sync_all().map_err(|e| Error::io(&path, e))?;
            }
            staged.push((path, tmp));
            failpoint::hit("tx-staging");
        }
        let _commit = commit_lock::exclusive(self.root)?;
        let mut journal = Journal { format: JOURNAL_FORMAT, ops: Vec::new() };
        let mut kept = Vec::new();
        for (path, tmp) in staged {
            match tmp {
                Some(tmp) => {
                    let (_, at) = tmp.keep().map_err(|e| Error::io(&path, e.error))?;
                    // Beside its target (the temporary file's own path may be made absolute).
                    let target = relative(&path);
                    let name = at.file_name().expect("a temporary file has a name");
                    journal.ops.push((Some(target.with_file_name(name)), target));
                    kept.push(at);
                }
                None => journal.ops.push((None, relative(&path))),
            }
        }
        failpoint::hit("tx-before-journal");
        // What recovery would refuse is not written either.
        let checked = check(self.root, &journal_path(self.root), &journal);
        if let Err(e) =
            checked.and_then(|()| write_atomic(&journal_path(self.root), &serde_json::to_vec_pretty(&journal).expect("journal serialises")))
        {
            for at in &kept {
                let _ = fs::remove_file(at);
            }
            return Err(e);
        }
        failpoint::hit("tx-after-journal");
        apply(self.root, &journal)?;
        fs::remove_file(journal_path(self.root)).map_err(|e| Error::io(journal_path(self.root), e))?;
        Ok(())
    }
}
