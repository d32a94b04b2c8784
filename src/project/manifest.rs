//! `quire.toml`, the versioned project manifest.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::coding::coder::Coder;
use crate::coding::kinds::CoderKinds;
use crate::corpus::Language;
use crate::error::{Error, Location, Result};

/// The newest manifest format this build reads. Format 2 adds the `[coders]` table of coder
/// kinds; a manifest without one is still written as format 1, so older builds keep opening it.
pub const FORMAT_VERSION: u32 = 2;
/// The format of a manifest without coder kinds.
const FORMAT_WITHOUT_KINDS: u32 = 1;

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
    pub coder: Coder,
    /// The codebook file, relative to the project directory.
    #[serde(default = "default_codebook")]
    pub codebook: PathBuf,
    /// Each coder's kind, where it is not `analysis` (format 2).
    #[serde(default, skip_serializing_if = "CoderKinds::is_empty")]
    pub coders: CoderKinds,
}

fn default_codebook() -> PathBuf {
    PathBuf::from("codebook.json")
}

impl Manifest {
    pub fn new(name: &str, language: Language, coder: Coder) -> Manifest {
        Manifest {
            format: FORMAT_WITHOUT_KINDS,
            name: name.to_string(),
            language,
            coder,
            codebook: default_codebook(),
            coders: CoderKinds::default(),
        }
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

    /// The manifest as written: format 2 when it records coder kinds, else format 1.
    pub fn to_toml(&self) -> String {
        let format = if self.coders.is_empty() { self.format.min(FORMAT_WITHOUT_KINDS) } else { FORMAT_VERSION };
        let body = toml::to_string(&Manifest { format, ..self.clone() }).expect("manifest serialises");
        format!("# quire project manifest\n{body}")
    }
}
