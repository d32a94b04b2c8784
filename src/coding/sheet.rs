//! The coding sheet: a CSV with one row per respondent segment that a team fills in a spreadsheet
//! (`codes`: `;`-separated code paths or unique suffixes), and its import as whole-segment codings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::{now_rfc3339, Coder, Coding};
use crate::codebook::{CodePath, Codebook};
use crate::corpus::{SegmentId, Source};
use crate::csv_rows::Rows;
use crate::error::{Error, Result};
use crate::output::one_line;

/// Columns before the attribute columns, and the last two.
const LEADING: [&str; 3] = ["segment", "citation", "speaker"];
const TRAILING: [&str; 2] = ["text", "codes"];

/// Writes the sheet for `sources`; `existing` pre-fills the codes column (whole-segment codings).
pub fn export(sources: &[Source], existing: &[Coding], out: &mut dyn std::io::Write) -> Result<()> {
    let mut keys = BTreeSet::new();
    for source in sources {
        for (speaker, _) in source.respondents() {
            keys.extend(source.speaker_attributes(speaker).into_keys());
        }
    }
    for fixed in ["source", "speaker"] {
        keys.remove(fixed);
    }
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
    let map_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::Output(io),
        other => Error::Internal(format!("CSV output failed: {other:?}")),
    };
    let header: Vec<&str> = LEADING.iter().copied().chain(keys.iter().map(String::as_str)).chain(TRAILING).collect();
    w.write_record(&header).map_err(map_err)?;
    for source in sources {
        for (segment, respondent) in source.respondent_segments() {
            let speaker = source.speaker_of(segment);
            let attributes = source.speaker_attributes(speaker);
            let codes: BTreeSet<String> = existing
                .iter()
                .filter(|c| c.source == source.id && c.start == segment.start && c.end == segment.end)
                .map(|c| c.code.to_string())
                .collect();
            let mut row = vec![segment.id.to_string(), respondent.citation(), speaker.label.to_string()];
            row.extend(keys.iter().map(|k| attributes.get(k).cloned().unwrap_or_default()));
            row.push(segment.text.clone());
            row.push(codes.into_iter().collect::<Vec<_>>().join(";"));
            w.write_record(&row).map_err(map_err)?;
        }
    }
    w.flush().map_err(Error::Output)
}

/// The codes a filled sheet gives each segment, checked against sources and codebook.
#[derive(Debug, Default)]
pub struct Filled {
    pub segments: BTreeMap<SegmentId, BTreeSet<CodePath>>,
}

/// Reads a filled sheet. Every problem (unknown segment or code, edited text, malformed row) is
/// collected with its line; any problem fails the whole import.
pub fn read(path: &Path, sources: &BTreeMap<String, Source>, codebook: &Codebook) -> Result<Filled> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, sources, codebook)
}

/// [`read`] on bytes already in memory; `path` names them in errors.
pub fn read_bytes(path: &Path, bytes: &[u8], sources: &BTreeMap<String, Source>, codebook: &Codebook) -> Result<Filled> {
    let text = crate::corpus::header::decode(path, bytes)?;
    let mut rows = Rows::new(path, &csv::ReaderBuilder::new(), text.as_bytes())?;
    let mut problems: Vec<(usize, String)> = Vec::new();
    let headers = match rows.headers() {
        Ok(headers) => headers,
        Err(e) => return Err(Error::Rows { path: path.to_path_buf(), problems: vec![as_problem(e)?] }),
    };
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(seg_col), Some(text_col), Some(codes_col)) = (column("segment"), column("text"), column("codes")) else {
        return Err(Error::Rows {
            path: path.to_path_buf(),
            problems: vec![(1, "a coding sheet needs `segment`, `text` and `codes` columns".into())],
        });
    };
    let mut filled = Filled::default();
    let mut record = csv::StringRecord::new();
    loop {
        let line = match rows.read(&mut record) {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => {
                // A malformed row is one more problem: the rows after it are still read.
                problems.push(as_problem(e)?);
                continue;
            }
        };
        let id: SegmentId = match record[seg_col].trim().parse() {
            Ok(id) => id,
            Err(m) => {
                problems.push((line, m));
                continue;
            }
        };
        let Some(segment) = sources.get(id.source.as_str()).and_then(|s| s.segments.get(id.number - 1)) else {
            problems.push((line, format!("unknown segment `{id}`")));
            continue;
        };
        if one_line(&record[text_col]) != one_line(&segment.text) {
            problems.push((line, format!("the text of {id} was edited; restore it (only the codes column may change)")));
            continue;
        }
        let mut codes = BTreeSet::new();
        for code in record[codes_col].split(';').map(str::trim).filter(|c| !c.is_empty()) {
            match codebook.resolve_codable(code) {
                Ok(p) => {
                    codes.insert(p);
                }
                Err(e) => problems.push((line, e.to_string())),
            }
        }
        if filled.segments.insert(id.clone(), codes).is_some() {
            problems.push((line, format!("segment {id} appears twice")));
        }
    }
    if !problems.is_empty() {
        return Err(Error::Rows { path: path.to_path_buf(), problems });
    }
    Ok(filled)
}

/// A malformed row as (line, message) among a sheet's problems; other errors stay errors.
fn as_problem(e: Error) -> Result<(usize, String)> {
    match e {
        Error::Invalid { location, message } => Ok((location.line.unwrap_or(0), message)),
        other => Err(other),
    }
}

/// Applies a filled sheet to a coder's codings: for each segment in the sheet, the coder's
/// whole-segment codings become exactly the listed codes. Returns (added, removed).
pub fn apply(filled: &Filled, sources: &BTreeMap<String, Source>, coder: &Coder, codings: &mut Vec<Coding>) -> (usize, usize) {
    let spans: BTreeMap<(&str, usize, usize), &SegmentId> = filled
        .segments
        .keys()
        .map(|id| {
            let seg = &sources[id.source.as_str()].segments[id.number - 1];
            ((id.source.as_str(), seg.start, seg.end), id)
        })
        .collect();
    let before = codings.len();
    codings.retain(|c| match spans.get(&(c.source.as_str(), c.start, c.end)) {
        Some(id) => filled.segments[*id].contains(&c.code),
        None => true,
    });
    let removed = before - codings.len();
    let created = now_rfc3339();
    let mut added = 0;
    for (id, codes) in &filled.segments {
        let seg = &sources[id.source.as_str()].segments[id.number - 1];
        for code in codes {
            let exists = codings.iter().any(|c| c.source == id.source && c.start == seg.start && c.end == seg.end && &c.code == code);
            if !exists {
                codings.push(Coding {
                    source: id.source.clone(),
                    start: seg.start,
                    end: seg.end,
                    code: code.clone(),
                    coder: coder.clone(),
                    created: created.clone(),
                    origin: None,
                    text: seg.text.clone(),
                });
                added += 1;
            }
        }
    }
    (added, removed)
}
