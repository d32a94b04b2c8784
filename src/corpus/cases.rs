//! Cases/attributes CSV (NVivo classification-sheet style): one row per source, or per source and
//! speaker, whose columns add to or override the attributes written in transcript headers.
//!
//! ```text
//! source,speaker,role,gender,prison
//! PT-PR-03,R,PR,M,Site A
//! PT-PR-03,,,,Site A        <- no speaker: a source-level attribute
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::header::{decode, is_key, RawHeader, RawSpeaker, Value};
use super::SourceId;
use crate::csv_rows::Rows;
use crate::error::{Error, Location, Result};

#[derive(Debug, Clone)]
struct Row {
    line: usize,
    values: Vec<(String, String)>,
}

/// A parsed cases sheet, keyed by source id and speaker label (`None` for source-level rows).
#[derive(Debug, Clone, Default)]
pub struct CaseSheet {
    path: PathBuf,
    rows: BTreeMap<(String, Option<String>), Row>,
}

impl CaseSheet {
    pub fn read(path: &Path) -> Result<CaseSheet> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = decode(path, &bytes)?;
        if let Some(line) = unterminated_quote(&text) {
            return Err(Error::invalid(Location::line(path, line), "a double quote opened here is never closed"));
        }
        let mut rows = Rows::new(path, csv::ReaderBuilder::new().flexible(false), text.as_bytes())?;
        let headers: Vec<String> = rows.headers()?.iter().map(|h| h.trim().to_string()).collect();
        let Some(source_col) = headers.iter().position(|h| h == "source") else {
            return Err(Error::invalid(Location::line(path, 1), "cases CSV needs a `source` column"));
        };
        let speaker_col = headers.iter().position(|h| h == "speaker");
        for (i, h) in headers.iter().enumerate() {
            if i != source_col && Some(i) != speaker_col && !h.is_empty() && !is_key(h) {
                return Err(Error::invalid(
                    Location::line(path, 1),
                    format!("column `{h}` is no attribute name (letters, digits, `_`, `-`, `.`, starting with a letter or `_`)"),
                ));
            }
        }
        let mut sheet = CaseSheet { path: path.to_path_buf(), rows: BTreeMap::new() };
        let mut record = csv::StringRecord::new();
        while let Some(line) = rows.read(&mut record)? {
            let source = record.get(source_col).unwrap_or("").trim().to_string();
            if source.is_empty() {
                return Err(Error::invalid(Location::line(path, line), "empty `source` cell"));
            }
            let speaker = speaker_col.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
            if let Some(i) = headers.iter().zip(record.iter()).position(|(h, v)| h.is_empty() && !v.trim().is_empty()) {
                return Err(Error::invalid(Location::line(path, line), format!("a value in column {}, which has no name", i + 1)));
            }
            let values = headers
                .iter()
                .zip(record.iter())
                .enumerate()
                .filter(|(i, (_, v))| *i != source_col && Some(*i) != speaker_col && !v.trim().is_empty())
                .map(|(_, (h, v))| (h.clone(), v.trim().to_string()))
                .collect();
            let key = (source, speaker);
            if let Some(first) = sheet.rows.get(&key) {
                return Err(Error::invalid(
                    Location::line(path, line),
                    format!("duplicate row for {} (first on line {})", describe(&key), first.line),
                ));
            }
            sheet.rows.insert(key, Row { line, values });
        }
        Ok(sheet)
    }

    /// The first row (by line) whose source is not `known`: a typo in an id would otherwise drop
    /// the row's attributes without a word.
    pub fn check_sources(&self, known: impl Fn(&str) -> bool) -> Result<()> {
        let unknown = self.rows.iter().filter(|((source, _), _)| !known(source)).min_by_key(|(_, row)| row.line);
        match unknown {
            Some(((source, _), row)) => Err(Error::invalid(
                Location::line(&self.path, row.line),
                format!("source `{source}` is neither among the transcripts given nor in the project"),
            )),
            None => Ok(()),
        }
    }

    /// Applies the rows for `id` to a transcript's header read from `transcript`.
    pub(crate) fn apply(&self, id: &SourceId, transcript: &Path, header: &mut RawHeader) -> Result<()> {
        for ((source, speaker), row) in self.rows.range((id.to_string(), None)..) {
            if source != id.as_str() {
                break;
            }
            let at = Location::line(&self.path, row.line);
            match speaker {
                None => {
                    for (k, v) in &row.values {
                        header.set(k, Value { text: v.clone(), at: at.clone() });
                    }
                }
                Some(label) => {
                    let Some(raw) = header.speakers.iter_mut().find(|s| &s.label == label) else {
                        return Err(Error::invalid(at, format!("speaker `{label}` is not declared in {}", transcript.display())));
                    };
                    apply_speaker(raw, &row.values, &at);
                }
            }
        }
        Ok(())
    }
}

fn apply_speaker(raw: &mut RawSpeaker, values: &[(String, String)], at: &Location) {
    for (k, v) in values {
        raw.set(k, Value { text: v.clone(), at: at.clone() });
    }
}

fn describe(key: &(String, Option<String>)) -> String {
    match &key.1 {
        Some(s) => format!("source {} speaker {s}", key.0),
        None => format!("source {}", key.0),
    }
}

/// The line of a quoted field that the text never closes (the csv reader takes the rest of the
/// file as that field). Quotes open a field only at its start; `""` inside one is a quote.
fn unterminated_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut line = 1;
    let mut field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if field_start => {
                let opened = line;
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Some(opened),
                        Some(b'"') if bytes.get(i + 1) == Some(&b'"') => i += 2,
                        Some(b'"') => break,
                        Some(b'\n') => {
                            line += 1;
                            i += 1;
                        }
                        Some(_) => i += 1,
                    }
                }
                field_start = false;
            }
            b',' => field_start = true,
            b'\n' => {
                line += 1;
                field_start = true;
            }
            _ => field_start = false,
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_unclosed_quote_is_found_on_its_line() {
        use super::unterminated_quote as u;
        assert_eq!(u("source,note\nA,\"one\ntwo\"\nB,x\"y\n"), None);
        assert_eq!(u("source,note\nA,\"say \"\"hi\"\"\"\n"), None);
        assert_eq!(u("source,note\nA,ok\nB,\"open\nC,x\n"), Some(3));
    }
}
