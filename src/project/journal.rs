//! The transaction journal (`.quire/journal.json`): the renames a committed transaction still has
//! to run, checked before any is applied, and the recovery that finishes them after a crash.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::{sync_dir, TMP_PREFIX};
use super::layout::{CODINGS_DIR, SOURCES_DIR, STATE_DIR};
use super::{commit_lock, history, inside};
use crate::error::{Error, Result};
use crate::failpoint;

const JOURNAL: &str = "journal.json";
pub(super) const JOURNAL_FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Journal {
    pub(super) format: u32,
    /// (temporary file, target) pairs, or (None, target) for a removal; relative to the project.
    pub(super) ops: Vec<(Option<PathBuf>, PathBuf)>,
}

/// The journal of the project at `root`.
pub(super) fn journal_path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(JOURNAL)
}

/// Is a transaction waiting to be finished?
pub fn pending(root: &Path) -> bool {
    journal_path(root).is_file()
}

/// Refuses a journal naming anything but files inside the project, each replaced by one of
/// quire's temporary files beside it: a journal copied or crafted elsewhere could otherwise
/// remove or overwrite files anywhere.
pub(super) fn check(project: &Path, path: &Path, journal: &Journal) -> Result<()> {
    let mut root = None;
    for (n, (tmp, target)) in journal.ops.iter().enumerate() {
        let bad = |what: &Path| {
            Error::corrupt_at(
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
        if inside::check_prefixes_not_outside(project, target, &mut root).is_err() {
            return Err(bad(target));
        }
    }
    Ok(())
}

pub(super) fn apply(root: &Path, journal: &Journal) -> Result<()> {
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

/// Finishes an interrupted transaction in the project at `root` and removes temporary files no
/// journal refers to. The caller holds the project lock.
pub fn recover(root: &Path) -> Result<()> {
    let path = journal_path(root);
    if path.is_file() {
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        match serde_json::from_slice::<Journal>(&bytes) {
            Ok(journal) if journal.format <= JOURNAL_FORMAT => {
                check(root, &path, &journal)?;
                let _commit = commit_lock::exclusive(root)?;
                apply(root, &journal)?;
            }
            _ => {
                return Err(Error::corrupt_at(
                    crate::error::Location::file(&path),
                    "unreadable transaction journal; move it away and run `quire verify`",
                ))
            }
        }
        fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
    }
    // Staged files of a transaction that never reached its journal, and atomic writes cut short.
    for dir in [root.to_path_buf(), root.join(SOURCES_DIR), root.join(CODINGS_DIR), root.join(STATE_DIR)] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    history::cleanup(root);
    Ok(())
}
