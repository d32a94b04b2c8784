//! The writer lock (`.quire/lock`): one process at a time changes a project.

use std::fs::{self, File};
use std::path::Path;

use super::atomic::open_lock_file;
use super::layout::STATE_DIR;
use crate::error::{Error, Result};

const LOCK_FILE: &str = "lock";

/// Held while a command writes to a project; released on drop (also when the process dies).
#[derive(Debug)]
pub struct WriteLock {
    _file: File,
}

/// Takes the writer lock of the project at `root`, waiting up to `QUIRE_LOCK_WAIT` seconds
/// (default 10) for another writer to finish.
pub(crate) fn acquire(root: &Path) -> Result<WriteLock> {
    let path = root.join(STATE_DIR).join(LOCK_FILE);
    let file = open_lock_file(&path)?;
    let wait: f64 = std::env::var("QUIRE_LOCK_WAIT").ok().and_then(|v| v.parse().ok()).unwrap_or(10.0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(wait.max(0.0));
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            Err(fs::TryLockError::WouldBlock) => return Err(Error::Locked { path: root.to_path_buf() }),
            Err(fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
        }
    }
    Ok(WriteLock { _file: file })
}
