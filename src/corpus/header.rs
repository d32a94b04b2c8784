//! The transcript header as written (`key: value` lines and speakers, each value with where it
//! came from), before its values are checked; and `decode`, which reads a user's text file.

use std::path::Path;

use crate::error::{Error, Location, Result, TranscriptProblem};

/// A header value and where it was written (the transcript line, or a cases CSV row).
#[derive(Debug, Clone)]
pub(crate) struct Value {
    pub text: String,
    pub at: Location,
}

#[derive(Debug, Clone)]
pub(crate) struct RawSpeaker {
    pub label: String,
    pub interviewer: bool,
    pub attributes: Vec<(String, Value)>,
    pub line: usize,
}

/// The header as written, before values are checked.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawHeader {
    pub entries: Vec<(String, Value)>,
    pub speakers: Vec<RawSpeaker>,
}

impl RawHeader {
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Sets a source-level attribute, replacing one of the same key.
    pub fn set(&mut self, key: &str, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_string(), value)),
        }
    }
}

impl RawSpeaker {
    pub fn set(&mut self, key: &str, value: Value) {
        match self.attributes.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.attributes.push((key.to_string(), value)),
        }
    }
}

/// Decodes bytes as UTF-8 (a BOM is dropped) and normalises CRLF and lone CR to LF. A NUL is refused:
/// no text holds one, and a header value could not.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<String> {
    if let Some(kind) = document_kind(bytes) {
        return Err(Error::Transcript { location: Location::file(path), problem: TranscriptProblem::NotText(kind) });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
        Error::Transcript { location: Location::line(path, line), problem: TranscriptProblem::InvalidUtf8 { offset } }
    })?;
    if let Some(at) = memchr::memchr(0, text.as_bytes()) {
        let before = &text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        return Err(Error::Transcript { location: Location::line(path, line), problem: TranscriptProblem::NulByte { column } });
    }
    Ok(crate::text::normalise_line_ends(text))
}

/// Documents that are not text, by their first bytes: what they most likely are.
fn document_kind(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"PK\x03\x04") {
        Some("a Word (.docx) or other zipped document")
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        Some("an old Word (.doc) document")
    } else if bytes.starts_with(b"%PDF") {
        Some("a PDF document")
    } else if bytes.starts_with(b"{\\rtf") {
        Some("an RTF document")
    } else {
        None
    }
}

pub(crate) fn is_key(k: &str) -> bool {
    k.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
