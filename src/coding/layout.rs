//! Where the coding files are: `codings/<coder>.csv` (`source,start,end,code,coder,created,text`,
//! sorted), `codings/<coder>.orphaned.csv` for codings whose text could not be re-anchored, and
//! `codings/<coder>.rejected.csv` for a suggestion coder's proposals a person rejected.

use std::fs;
use std::path::PathBuf;

use super::Coder;
use crate::error::{Error, Result};
use crate::project::{Project, CODINGS_DIR};

pub const HEADER: [&str; 7] = ["source", "start", "end", "code", "coder", "created", "text"];
/// Merged projects add the project each coding came from as an eighth column.
pub const ORIGIN: &str = "origin";
const ORPHANED: &str = ".orphaned.csv";
const REJECTED: &str = ".rejected.csv";

/// Which of a coder's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodingFile {
    Anchored,
    Orphaned,
    /// Suggestions rejected in review: `autocode` does not propose them again.
    Rejected,
}

pub fn path(project: &Project, coder: &Coder, kind: CodingFile) -> PathBuf {
    let name = match kind {
        CodingFile::Anchored => format!("{coder}.csv"),
        CodingFile::Orphaned => format!("{coder}{ORPHANED}"),
        CodingFile::Rejected => format!("{coder}{REJECTED}"),
    };
    project.root().join(CODINGS_DIR).join(name)
}

/// Coders with a coding file, sorted.
pub fn coders(project: &Project) -> Result<Vec<Coder>> {
    let dir = project.root().join(CODINGS_DIR);
    let mut coders = Vec::new();
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(coders),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let stem = name.strip_suffix(ORPHANED).or_else(|| name.strip_suffix(REJECTED)).or_else(|| name.strip_suffix(".csv"));
        if let Some(coder) = stem.and_then(|s| s.parse::<Coder>().ok()) {
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                crate::project::inside::check_not_outside(project.root(), &entry.path(), &mut None)?;
            }
            if !coders.contains(&coder) {
                coders.push(coder);
            }
        }
    }
    coders.sort();
    Ok(coders)
}
