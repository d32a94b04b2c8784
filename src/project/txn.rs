//! Multi-file transactions: every new file is written and synced beside its target, a journal
//! listing the renames is committed atomically, then the renames run. A crash before the journal
//! leaves the old files; after it, the next process to open the project finishes the renames.
//! Either way a reader sees all of a change or none of it. Every commit also stages the write's
//! history entry (`history.rs`: before-images and the entry file), so the two land together.

use std::fs;
use std::path::{Path, PathBuf};

use super::atomic::{persist, temp_beside, write_atomic, TMP_PREFIX};
use super::commit_lock;
use super::history::{self, After, Extra};
use super::journal::{apply, check, journal_path, Journal, JOURNAL_FORMAT};
use super::Project;
use crate::error::{Error, Result};
use crate::failpoint;

/// Files to replace or remove together.
pub struct Transaction<'p> {
    /// The project's root directory.
    root: &'p Path,
    /// The codebook's path, relative to the project (the history says when it changed).
    codebook: PathBuf,
    ops: Vec<(PathBuf, Op)>,
    /// The writes this one reverts (an undo), for its history entry.
    undoes: Vec<u64>,
}

/// What happens to one file.
enum Op {
    /// New contents, written out at commit.
    Write(Vec<u8>),
    /// New contents already streamed to a temporary file beside the target.
    Staged(tempfile::NamedTempFile),
    /// A hard link to a file's current contents, already made beside the target (a before-image).
    Linked(tempfile::TempPath),
    Remove,
}

impl<'p> Transaction<'p> {
    pub fn new(project: &'p Project) -> Transaction<'p> {
        Transaction { root: project.root(), codebook: project.manifest.codebook.clone(), ops: Vec::new(), undoes: Vec::new() }
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

    /// Marks the write as the undo of the writes numbered `undoes` (for its history entry).
    pub fn set_undoes(&mut self, undoes: Vec<u64>) {
        self.undoes = undoes;
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
        let recorded = self.stage_history()?;
        let root = self.root;
        let result = self.commit_ops();
        if result.is_ok() && recorded {
            history::prune(root);
        }
        result
    }

    /// Adds the history entry of this write to its operations; false if it changes no recorded file.
    fn stage_history(&mut self) -> Result<bool> {
        let files: Vec<(PathBuf, After<'_>)> = self
            .ops
            .iter()
            .map(|(path, op)| {
                let after = match op {
                    Op::Write(bytes) => After::Bytes(bytes),
                    Op::Staged(tmp) => After::File(tmp.path()),
                    Op::Linked(tmp) => After::File(tmp),
                    Op::Remove => After::Removed,
                };
                (path.clone(), after)
            })
            .collect();
        let extras = history::record(self.root, &self.codebook, &self.undoes, &files)?;
        let recorded = !extras.is_empty();
        for extra in extras {
            match extra {
                Extra::Write(path, bytes) => self.ops.push((path, Op::Write(bytes))),
                Extra::Link { from, to } => {
                    let dir = to.parent().expect("a before-image is in an entry folder");
                    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
                    // A link inside the project is copied: a hard link would be to the link itself.
                    let plain = fs::symlink_metadata(&from).is_ok_and(|m| m.file_type().is_file());
                    let linked = plain.then(|| tempfile::Builder::new().prefix(TMP_PREFIX).make_in(dir, |p| fs::hard_link(&from, p)).ok());
                    match linked.flatten() {
                        Some(tmp) => self.ops.push((to, Op::Linked(tmp.into_temp_path()))),
                        // No hard links here: a copy.
                        None => {
                            let bytes = fs::read(&from).map_err(|e| Error::io(&from, e))?;
                            self.ops.push((to, Op::Write(bytes)));
                        }
                    }
                }
            }
        }
        Ok(recorded)
    }

    fn commit_ops(mut self) -> Result<()> {
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
                    Some(tmp.into_temp_path_synced(&path)?)
                }
                Op::Staged(tmp) => Some(tmp.into_temp_path_synced(&path)?),
                // The linked file was synced when it was written.
                Op::Linked(tmp) => Some(tmp),
                Op::Remove => None,
            };
            staged.push((path, tmp));
            failpoint::hit("tx-staging");
        }
        let _commit = commit_lock::exclusive(self.root)?;
        let mut journal = Journal { format: JOURNAL_FORMAT, ops: Vec::new() };
        let mut kept = Vec::new();
        for (path, tmp) in staged {
            match tmp {
                Some(tmp) => {
                    let at = tmp.keep().map_err(|e| Error::io(&path, e.error))?;
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

/// A staged file, synced, as a path (removed on drop unless kept).
trait Synced {
    fn into_temp_path_synced(self, target: &Path) -> Result<tempfile::TempPath>;
}

impl Synced for tempfile::NamedTempFile {
    fn into_temp_path_synced(self, target: &Path) -> Result<tempfile::TempPath> {
        self.as_file().sync_all().map_err(|e| Error::io(target, e))?;
        Ok(self.into_temp_path())
    }
}
