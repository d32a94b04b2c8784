//! Paths that must stay inside the project: the manifest's codebook path, the project's folders
//! and files, and the paths a transaction journal names. quire never reads or writes through a
//! link (or a `..`) that leaves the project directory.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::layout::{CODINGS_DIR, MANIFEST, MEMOS_DIR, SOURCES_DIR, STATE_DIR};
use crate::error::{Error, Location, Result};

/// Is `path` relative and made of plain names only (and `.`; no `..`, root or drive prefix)?
pub fn is_plain_relative(path: &Path) -> bool {
    path.components().any(|c| matches!(c, Component::Normal(_))) && path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Checks the codebook path of the manifest (`codebook`) and that the folders and codebook of the
/// project at `root` are not links leading out of the project.
pub fn check_layout(root: &Path, codebook: &Path) -> Result<()> {
    if !is_plain_relative(codebook) {
        let manifest = root.join(MANIFEST);
        let line =
            fs::read_to_string(&manifest).ok().and_then(|text| text.lines().position(|l| l.trim_start().starts_with("codebook")).map(|i| i + 1));
        return Err(Error::refused_at(
            Location { path: manifest, line },
            format!("`codebook = \"{}\"` is not a path inside the project; keep the codebook in the project directory", codebook.display()),
        ));
    }
    let mut canonical = None;
    for rel in [Path::new(SOURCES_DIR), Path::new(CODINGS_DIR), Path::new(MEMOS_DIR), Path::new(STATE_DIR), codebook] {
        check_prefixes_not_outside(root, rel, &mut canonical)?;
    }
    Ok(())
}

/// Refuses `rel` (relative to the project at `project`) if it, or any folder on the way to it, is
/// a link whose target lies outside the project.
pub fn check_prefixes_not_outside(project: &Path, rel: &Path, root: &mut Option<PathBuf>) -> Result<()> {
    let mut at = PathBuf::new();
    for part in rel.components() {
        at.push(part);
        check_not_outside(project, &project.join(&at), root)?;
    }
    Ok(())
}

/// Refuses `path` if it is a link whose target lies outside the project at `project` (`root`
/// caches the project's canonical path).
pub fn check_not_outside(project: &Path, path: &Path, root: &mut Option<PathBuf>) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {}
        _ => return Ok(()),
    }
    let canonical_root = match root {
        Some(r) => r.clone(),
        None => {
            let r = fs::canonicalize(project).map_err(|e| Error::io(project, e))?;
            *root = Some(r.clone());
            r
        }
    };
    let target = fs::read_link(path).map_err(|e| Error::io(path, e))?;
    match fs::canonicalize(path) {
        Ok(resolved) if resolved.starts_with(&canonical_root) => Ok(()),
        _ => Err(Error::refused_at(
            Location::file(path),
            format!(
                "a link to {}, outside the project; quire does not read or write through links that leave the project (put the file or folder itself here)",
                target.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::is_plain_relative;
    use std::path::Path;

    #[test]
    fn only_plain_names_are_plain_relative() {
        for ok in ["codebook.json", "codings/ana.csv", "a/b/c", "./codebook.json", "codings/./x"] {
            assert!(is_plain_relative(Path::new(ok)), "{ok}");
        }
        for bad in ["", ".", "/etc/passwd", "../victim", "codings/../../victim", "a/..", "/"] {
            assert!(!is_plain_relative(Path::new(bad)), "{bad}");
        }
    }
}
