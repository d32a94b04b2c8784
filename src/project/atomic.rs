//! Atomic file writes (a temporary file beside the target, synced, then renamed into place) and
//! lock files: the primitives under the project's transactions and locks.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Opens (creating it and its directory if need be) a file that is only ever locked, never
/// written: its lock is released when the file is closed, also when the process dies.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    let dir = dir_of(path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| Error::io(path, e))
}

/// Writes `bytes` to `path` so that readers see either the old file or the new one, never a part:
/// a temporary file in the same directory, fsync, rename, then fsync of the directory.
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
/// It gets the mode `path` will have: an existing file's own, else 0666 less the user's umask
/// (as any program creating a file), not the 0600 of a bare temporary file, so a project on a
/// shared drive stays readable by the team.
pub(crate) fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = dir_of(path);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(TMP_PREFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Created with this mode, which the kernel narrows by the umask.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let tmp = builder.tempfile_in(&dir).map_err(|e| Error::io(&dir, e))?;
    if let Ok(meta) = fs::metadata(path) {
        // A rewritten file keeps its mode (set explicitly: not narrowed by the umask).
        tmp.as_file().set_permissions(meta.permissions()).map_err(|e| Error::io(path, e))?;
    }
    Ok(tmp)
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
