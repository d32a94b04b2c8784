//! The commit lock (`.quire/commit.lock`): a writer holds it exclusively only while it renames a
//! change into place (a transaction's commit, or the finishing of an interrupted one); a reader
//! holds it shared while it reads project files, so it reads one state: all of a change or none.
//!
//! Order, so that no two processes wait on each other: the writer lock, then the index rebuild
//! lock, then this one. A reader holding it shared never waits for the writer lock (taking the
//! writer lock first lets go of the process's shared hold), and nobody waits for it exclusively
//! while holding the index rebuild lock.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::atomic::open_lock_file;
use super::layout::STATE_DIR;
use crate::error::{Error, Result};

const COMMIT_LOCK: &str = "commit.lock";

fn path(root: &Path) -> PathBuf {
    root.join(STATE_DIR).join(COMMIT_LOCK)
}

/// A reader's shared hold; released on drop (also when the process dies).
#[derive(Debug)]
pub struct Shared {
    /// None in a project this process cannot write to: no writer can change it either.
    _file: Option<File>,
}

/// A writer's exclusive hold, for the rename phase only.
#[derive(Debug)]
pub struct Exclusive {
    _file: File,
}

/// Waits while a writer renames files into place in the project at `root`, then holds the lock shared.
pub fn shared(root: &Path) -> Result<Shared> {
    let path = path(root);
    let file = match OpenOptions::new().read(true).open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match open_lock_file(&path) {
            Ok(file) => file,
            Err(Error::Io { source, .. }) if read_only(&source) => return Ok(Shared { _file: None }),
            Err(e) => return Err(e),
        },
        Err(e) if read_only(&e) => return Ok(Shared { _file: None }),
        Err(e) => return Err(Error::io(&path, e)),
    };
    file.lock_shared().map_err(|e| Error::io(&path, e))?;
    Ok(Shared { _file: Some(file) })
}

/// Waits until no reader is reading, then holds the lock exclusively. The caller holds the
/// writer lock and no shared hold of its own.
pub fn exclusive(root: &Path) -> Result<Exclusive> {
    let path = path(root);
    let file = open_lock_file(&path)?;
    file.lock().map_err(|e| Error::io(&path, e))?;
    Ok(Exclusive { _file: file })
}

fn read_only(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem)
}
