//! Staging folders: a new project (`merge --into NEW`, `import qdpx --into NEW`) is built in a
//! `.quire-merge-*` or `.quire-import-*` folder beside its target, then renamed into place. Its
//! builder holds a lock file inside it until then; the next run removes the staging folders
//! whose builder is gone (killed, power cut).

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::project::layout::STAGING_LOCK;
use crate::project::{open_lock_file, Manifest, Project, STATE_DIR};

/// A staging folder without its lock file is a builder's first instant, or one killed then.
const UNLOCKED_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

/// A folder being built beside `target`; removed on drop unless [`Staging::finish`] renamed it.
pub struct Staging {
    dir: Option<tempfile::TempDir>,
    _held: File,
    target: PathBuf,
}

/// Refuses a target that is neither missing nor an empty directory, before anything is built.
pub fn check_target(target: &Path) -> Result<()> {
    match fs::symlink_metadata(target) {
        Err(_) => Ok(()),
        Ok(meta) if meta.is_dir() => match fs::read_dir(target).map(|mut entries| entries.next().is_none()) {
            Ok(true) => Ok(()),
            _ => Err(Error::refused(format!("{}: exists and is neither a quire project nor an empty directory", target.display()))),
        },
        Ok(_) => Err(Error::refused(format!("{}: exists and is not a directory", target.display()))),
    }
}

impl Staging {
    /// Checks `target`, removes stale staging folders beside it and starts a new one.
    pub fn new(target: &Path, prefix: &str) -> Result<Staging> {
        check_target(target)?;
        let absolute = std::path::absolute(target).map_err(|e| Error::io(target, e))?;
        let parent = absolute.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
        fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        remove_stale(&parent, prefix);
        let mut builder = tempfile::Builder::new();
        builder.prefix(prefix);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The project folder it becomes: 0777 less the user's umask, as `mkdir` makes it.
            builder.permissions(fs::Permissions::from_mode(0o777));
        }
        let dir = builder.tempdir_in(&parent).map_err(|e| Error::io(&parent, e))?;
        let lock = dir.path().join(STATE_DIR).join(STAGING_LOCK);
        let held = open_lock_file(&lock)?;
        held.lock().map_err(|e| Error::io(&lock, e))?;
        Ok(Staging { dir: Some(dir), _held: held, target: absolute })
    }

    pub fn path(&self) -> &Path {
        self.dir.as_ref().expect("not finished").path()
    }

    /// Renames the built folder onto the target (an empty directory there is replaced).
    pub fn finish(mut self) -> Result<()> {
        if self.target.is_dir() {
            fs::remove_dir(&self.target).map_err(|e| Error::io(&self.target, e))?;
        }
        fs::rename(self.path(), &self.target).map_err(|e| Error::io(&self.target, e))?;
        // Renamed: nothing left to remove. The lock file goes after the rename, so a staging
        // folder is never seen without it while its builder lives.
        let _ = self.dir.take().map(tempfile::TempDir::keep);
        let _ = fs::remove_file(self.target.join(STATE_DIR).join(STAGING_LOCK));
        Ok(())
    }
}

/// Creates a new project at `target`: initialised in a staging folder `prefix*` beside it, filled
/// by `build`, then renamed into place, so `target` appears complete or not at all.
pub fn create_project(
    target: &Path,
    prefix: &str,
    manifest: impl FnOnce() -> Manifest,
    codebook_json: &[u8],
    build: impl FnOnce(&Project) -> Result<()>,
) -> Result<()> {
    let staging = Staging::new(target, prefix)?;
    let project = Project::init(staging.path(), manifest(), codebook_json)?;
    build(&project)?;
    drop(project);
    staging.finish()
}

/// Removes the folders named `prefix*` in `parent` whose builder is gone.
pub fn remove_stale(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        let lock = dir.join(STATE_DIR).join(STAGING_LOCK);
        match File::open(&lock) {
            // Locked while removed, so a builder still alive is never removed.
            Ok(file) => {
                if file.try_lock().is_ok() {
                    let _ = fs::remove_dir_all(&dir);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let old =
                    entry.metadata().ok().and_then(|m| m.modified().ok()).and_then(|t| t.elapsed().ok()).is_some_and(|age| age > UNLOCKED_GRACE);
                if old {
                    let _ = fs::remove_dir_all(&dir);
                }
            }
            Err(_) => {}
        }
    }
}
