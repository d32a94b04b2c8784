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

use super::transcript::{RawHeader, RawSpeaker, Value};
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
        let text = super::transcript::decode(path, &bytes)?;
        let mut rows = Rows::new(path, csv::ReaderBuilder::new().flexible(false), text.as_bytes())?;
        let headers: Vec<String> = rows.headers()?.iter().map(|h| h.trim().to_string()).collect();
        let Some(source_col) = headers.iter().position(|h| h == "source") else {
            return Err(Error::invalid(Location::line(path, 1), "cases CSV needs a `source` column"));
        };
        let speaker_col = headers.iter().position(|h| h == "speaker");
        let mut sheet = CaseSheet { path: path.to_path_buf(), rows: BTreeMap::new() };
        let mut record = csv::StringRecord::new();
        while let Some(line) = rows.read(&mut record)? {
            let source = record.get(source_col).unwrap_or("").trim().to_string();
            if source.is_empty() {
                return Err(Error::invalid(Location::line(path, line), "empty `source` cell"));
            }
            let speaker = speaker_col.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
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
