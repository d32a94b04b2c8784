//! The plain text of an import's source: inline or an entry of the archive, decoded (UTF-8, or
//! UTF-16 with a BOM) and at most [`MAX_SOURCE_TEXT`] bytes.

use std::path::Path;

use crate::error::{Error, Location, Result};
use crate::refi::archive::{entry_location, Entries};
use crate::refi::model::{PlainText, TextSource};

/// Most bytes of one source's plain text: 8 MiB, some 4,000 pages (a long interview is 200 kB).
/// Mapping positions onto it takes about 25 bytes a character.
pub const MAX_SOURCE_TEXT: usize = 8 << 20;

/// Decodes a plain text: UTF-8 (BOM dropped later), or UTF-16 with a BOM.
fn decode_text(location: Location, bytes: &[u8]) -> Result<String> {
    let utf16 = |rest: &[u8], le: bool| {
        let units: Vec<u16> =
            rest.chunks_exact(2).map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) }).collect();
        String::from_utf16(&units).map_err(|_| Error::invalid(location.clone(), "invalid UTF-16 text"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = crate::refi::xml::line_and_column(bytes, at);
        Error::invalid(
            Location { line: Some(line), ..location.clone() },
            format!("invalid UTF-8 at column {column} (byte {at}); save the text as UTF-8"),
        )
    })
}

/// Why the plain text of source `label` is refused.
fn too_long(label: &str) -> String {
    format!("the plain text of source `{label}` holds more than {} MiB, the most quire reads for one source; refused", MAX_SOURCE_TEXT >> 20)
}

/// The plain text of a source and the entry it came from.
pub(super) fn plain_text(path: &Path, qde: &Path, entries: &Entries, source: &TextSource) -> Result<(String, String)> {
    let at = Location::line(qde, source.line);
    let label = source.name.clone().unwrap_or_else(|| source.guid.clone());
    match &source.text {
        PlainText::Inline(text) if text.len() > MAX_SOURCE_TEXT => Err(Error::invalid(at, too_long(&label))),
        PlainText::Inline(text) => Ok((text.clone(), format!("{}:{}", qde.display(), source.line))),
        PlainText::Missing => Err(Error::invalid(at, format!("text source `{label}` has neither plainTextPath nor PlainTextContent"))),
        PlainText::Path(p) => {
            let Some(rel) = p.strip_prefix("internal://").or_else(|| (!p.contains("://")).then_some(p.as_str())) else {
                return Err(Error::invalid(
                    at,
                    format!("text source `{label}`: `{p}` is outside the archive; only internal:// sources can be imported"),
                ));
            };
            let rel = rel.trim_start_matches("./");
            let candidates = [rel.to_string(), format!("Sources/{rel}"), format!("sources/{rel}")];
            let Some((entry, bytes)) = candidates.iter().find_map(|c| entries.find(c)) else {
                return Err(Error::invalid(
                    entry_location(path, &format!("Sources/{rel}"), None),
                    format!("missing from the archive: the plain text of source `{label}` (plainTextPath `{p}`, {}:{})", qde.display(), source.line),
                ));
            };
            let text = decode_text(entry_location(path, entry, None), bytes)?;
            if text.len() > MAX_SOURCE_TEXT {
                return Err(Error::invalid(entry_location(path, entry, None), too_long(&label)));
            }
            Ok((text, entry.to_string()))
        }
    }
}
