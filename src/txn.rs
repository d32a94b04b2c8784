//! Multi-file transactions: every new file is written and synced beside its target, a journal
//! listing the renames is committed atomically, then the renames run. A crash before the journal
//! leaves the old files; after it, the next process to open the project finishes the renames.
//! Either way a reader sees all of a change or none of it.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::failpoint;
use crate::project::{persist, sync_dir, temp_beside, write_atomic, Project, TMP_PREFIX};
use crate::{commit_lock, inside};

const JOURNAL: &str = "journal.json";
const JOURNAL_FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    format: u32,
    /// (temporary file, target) pairs, or (None, target) for a removal; relative to the project.
    ops: Vec<(Option<PathBuf>, PathBuf)>,
}

/// Files to replace or remove together.
pub struct Transaction<'p> {
    project: &'p Project,
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

fn journal_path(project: &Project) -> PathBuf {
    project.state_dir().join(JOURNAL)
}

/// Is a transaction waiting to be finished?
pub fn pending(project: &Project) -> bool {
    journal_path(project).is_file()
}

impl<'p> Transaction<'p> {
    pub fn new(project: &'p Project) -> Transaction<'p> {
        Transaction { project, ops: Vec::new() }
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
                    let _commit = commit_lock::exclusive(self.project)?;
                    return persist(tmp, &path);
                }
                (path, Op::Staged(tmp)) => {
                    let _commit = commit_lock::exclusive(self.project)?;
                    return persist(tmp, &path);
                }
                op => self.ops.push(op),
            }
        }
        let root = self.project.root();
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
        let _commit = commit_lock::exclusive(self.project)?;
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
        let checked = check(self.project, &journal_path(self.project), &journal);
        if let Err(e) =
            checked.and_then(|()| write_atomic(&journal_path(self.project), &serde_json::to_vec_pretty(&journal).expect("journal serialises")))
        {
            for at in &kept {
                let _ = fs::remove_file(at);
            }
            return Err(e);
        }
        failpoint::hit("tx-after-journal");
        apply(self.project, &journal)?;
        fs::remove_file(journal_path(self.project)).map_err(|e| Error::io(journal_path(self.project), e))?;
        Ok(())
    }
}

/// Refuses a journal naming anything but files inside the project, each replaced by one of
/// quire's temporary files beside it: a journal copied or crafted elsewhere could otherwise
/// remove or overwrite files anywhere.
fn check(project: &Project, path: &Path, journal: &Journal) -> Result<()> {
    let mut root = None;
    for (n, (tmp, target)) in journal.ops.iter().enumerate() {
        let bad = |what: &Path| {
            Error::invalid(
                crate::error::Location::file(path),
                format!(
                    "entry {} names `{}`, which is not a file quire writes inside this project; nothing in the journal was applied: move the journal away and run `quire verify`",
                    n + 1,
                    what.display()
                ),
            )
        };
        if !inside::is_plain_relative(target) {
            return Err(bad(target));
        }
        if let Some(tmp) = tmp {
            let beside = tmp.parent() == target.parent();
            let ours = tmp.file_name().is_some_and(|n| n.to_string_lossy().starts_with(TMP_PREFIX));
            if !inside::is_plain_relative(tmp) || !beside || !ours {
                return Err(bad(tmp));
            }
        }
        // No folder on the way may be a link that leads out of the project.
        let mut at = PathBuf::new();
        for part in target.components() {
            at.push(part);
            if inside::check_not_outside(project, &project.root().join(&at), &mut root).is_err() {
                return Err(bad(target));
            }
        }
    }
    Ok(())
}

fn apply(project: &Project, journal: &Journal) -> Result<()> {
    let root = project.root();
    for (tmp, target) in &journal.ops {
        let target = root.join(target);
        match tmp {
            Some(tmp) => {
                let tmp = root.join(tmp);
                // Already renamed by an earlier, interrupted run: nothing to do.
                if tmp.exists() {
                    fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
                }
            }
            None => match fs::remove_file(&target) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&target, e)),
                _ => {}
            },
        }
        if let Some(dir) = target.parent() {
            sync_dir(dir);
        }
        failpoint::hit("tx-applying");
    }
    Ok(())
}

/// Finishes an interrupted transaction and removes temporary files no journal refers to.
/// The caller holds the project lock.
pub fn recover(project: &Project) -> Result<()> {
    let path = journal_path(project);
    if path.is_file() {
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        match serde_json::from_slice::<Journal>(&bytes) {
            Ok(journal) if journal.format <= JOURNAL_FORMAT => {
                check(project, &path, &journal)?;
                let _commit = commit_lock::exclusive(project)?;
                apply(project, &journal)?;
            }
            _ => {
                return Err(Error::invalid(
                    crate::error::Location::file(&path),
                    "unreadable transaction journal; move it away and run `quire verify`",
                ))
            }
        }
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    // Staged files of a transaction that never reached its journal, and atomic writes cut short.
    for dir in [project.root().to_path_buf(), project.sources_dir(), project.root().join(crate::project::CODINGS_DIR), project.state_dir()] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    Ok(())
}
