//! `quire.toml`, the versioned project manifest.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::corpus::Language;
use crate::error::{Error, Location, Result};

/// The manifest format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// `quire.toml`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// On-disk format version of the whole project.
    pub format: u32,
    pub name: String,
    /// Language of transcripts that do not say theirs.
    pub language: Language,
    /// Coder recorded when a command is not told one.
    pub coder: String,
    /// The codebook file, relative to the project directory.
    #[serde(default = "default_codebook")]
    pub codebook: PathBuf,
}

fn default_codebook() -> PathBuf {
    PathBuf::from("codebook.json")
}

impl Manifest {
    pub fn new(name: &str, language: Language, coder: &str) -> Manifest {
        Manifest { format: FORMAT_VERSION, name: name.to_string(), language, coder: coder.to_string(), codebook: default_codebook() }
    }

    pub(crate) fn read(path: &Path) -> Result<Manifest> {
        let text = fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        // Check the version before the shape, so a newer project gets the right message.
        if let Ok(table) = text.parse::<toml::Table>() {
            if let Some(found) = table.get("format").and_then(|v| v.as_integer()) {
                if found > i64::from(FORMAT_VERSION) {
                    return Err(Error::FormatTooNew { path: path.to_path_buf(), found: found as u32, supported: FORMAT_VERSION });
                }
            }
        }
        toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
            Error::Invalid { location: Location { path: path.to_path_buf(), line }, message: e.message().to_string() }
        })
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("manifest serialises");
        format!("# quire project manifest\n{body}")
    }
}
