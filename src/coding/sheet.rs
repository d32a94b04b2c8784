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
use crate::spreadsheet::Encoding;

/// Columns before the attribute columns, and the last two.
const LEADING: [&str; 3] = ["segment", "citation", "speaker"];
const TRAILING: [&str; 2] = ["text", "codes"];
/// The column of pending suggestions (`sheet export --suggestions`); import ignores it.
const SUGGESTED: &str = "suggested";

/// Writes the sheet for `sources`; `existing` pre-fills the codes column (whole-segment codings);
/// with `suggested`, a last column `suggested` lists the pending suggestions of each segment, for a
/// person to copy the ones they accept into `codes`.
pub fn export(sources: &[Source], existing: &[Coding], suggested: Option<&[Coding]>, out: &mut dyn std::io::Write) -> Result<()> {
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
    let mut header: Vec<&str> = LEADING.iter().copied().chain(keys.iter().map(String::as_str)).chain(TRAILING).collect();
    if suggested.is_some() {
        header.push(SUGGESTED);
    }
    let on_segment = |codings: &[Coding], source: &Source, segment: &crate::corpus::Segment| -> String {
        let codes: BTreeSet<String> = codings
            .iter()
            .filter(|c| c.source == source.id && c.start == segment.start && c.end == segment.end)
            .map(|c| c.code.to_string())
            .collect();
        codes.into_iter().collect::<Vec<_>>().join(";")
    };
    w.write_record(&header).map_err(map_err)?;
    for source in sources {
        for (segment, respondent) in source.respondent_segments() {
            let speaker = source.speaker_of(segment);
            let attributes = source.speaker_attributes(speaker);
            let mut row = vec![segment.id.to_string(), respondent.citation(), speaker.label.to_string()];
            row.extend(keys.iter().map(|k| attributes.get(k).cloned().unwrap_or_default()));
            row.push(segment.text.clone());
            row.push(on_segment(existing, source, segment));
            if let Some(suggested) = suggested {
                row.push(on_segment(suggested, source, segment));
            }
            w.write_record(&row).map_err(map_err)?;
        }
    }
    w.flush().map_err(Error::Output)
}

/// The codes a filled sheet gives each segment, checked against sources and codebook.
#[derive(Debug)]
pub struct Filled {
    pub segments: BTreeMap<SegmentId, BTreeSet<CodePath>>,
    /// The encoding the sheet was read in.
    pub encoding: Encoding,
    /// Its field separator, `,` or `;`.
    pub separator: u8,
}

/// Reads a filled sheet. Every problem (unknown segment or code, edited text, malformed row) is
/// collected with its line; any problem fails the whole import.
pub fn read(path: &Path, sources: &BTreeMap<String, Source>, codebook: &Codebook) -> Result<Filled> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(path, &bytes, sources, codebook)
}

/// [`read`] on bytes already in memory; `path` names them in errors.
pub fn read_bytes(path: &Path, bytes: &[u8], sources: &BTreeMap<String, Source>, codebook: &Codebook) -> Result<Filled> {
    let decoded = crate::spreadsheet::decode(path, bytes)?;
    let mut rows = Rows::new(path, csv::ReaderBuilder::new().delimiter(decoded.separator), decoded.text.as_bytes())?;
    let mut problems: Vec<(usize, String)> = Vec::new();
    let headers = match rows.headers() {
        Ok(headers) => headers,
        Err(e) => return Err(Error::Rows { path: path.to_path_buf(), problems: vec![as_problem(e)?] }),
    };
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(seg_col), Some(text_col), Some(codes_col)) = (column("segment"), column("text"), column("codes")) else {
        return Err(Error::Rows {
            path: path.to_path_buf(),
            problems: vec![(1, format!("a coding sheet needs `segment`, `text` and `codes` columns (read with {})", decoded.describe()))],
        });
    };
    let mut filled = Filled { segments: BTreeMap::new(), encoding: decoded.encoding, separator: decoded.separator };
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

/// How a filled sheet's codes column is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only adds: a listed code the coder lacks on the segment becomes a coding; nothing is
    /// removed (a blank cell means "no change").
    Add,
    /// Each row's cell becomes exactly the coder's whole-segment codes (a blank cell removes
    /// them all).
    Sync,
}

/// What applying a sheet changes (or would change) on one segment.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SegmentChange {
    pub added: Vec<CodePath>,
    pub removed: Vec<CodePath>,
}

/// What applying a sheet changes: per segment (only segments that change), and how many of the
/// coder's whole-segment codings on the sheet's segments are not listed but kept (`Mode::Add`).
#[derive(Debug, Default)]
pub struct Applied {
    pub segments: BTreeMap<SegmentId, SegmentChange>,
    pub kept: usize,
}

impl Applied {
    pub fn added(&self) -> usize {
        self.segments.values().map(|c| c.added.len()).sum()
    }

    pub fn removed(&self) -> usize {
        self.segments.values().map(|c| c.removed.len()).sum()
    }

    /// One line per added (`+`) or removed (`-`) coding: `SEGMENT<TAB>+|-<TAB>CODE`.
    pub fn write(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        for (id, change) in &self.segments {
            for code in &change.added {
                writeln!(out, "{id}\t+\t{code}")?;
            }
            for code in &change.removed {
                writeln!(out, "{id}\t-\t{code}")?;
            }
        }
        Ok(())
    }
}

/// Applies a filled sheet to a coder's codings (whole-segment codings only: a coding over part
/// of a segment or over several is never touched). `Mode::Add` adds the listed codes the coder
/// lacks; `Mode::Sync` also removes the coder's whole-segment codings a row does not list.
pub fn apply(filled: &Filled, sources: &BTreeMap<String, Source>, coder: &Coder, mode: Mode, codings: &mut Vec<Coding>) -> Applied {
    let spans: BTreeMap<(&str, usize, usize), &SegmentId> = filled
        .segments
        .keys()
        .map(|id| {
            let seg = &sources[id.source.as_str()].segments[id.number - 1];
            ((id.source.as_str(), seg.start, seg.end), id)
        })
        .collect();
    let mut applied = Applied::default();
    codings.retain(|c| match spans.get(&(c.source.as_str(), c.start, c.end)) {
        Some(id) if !filled.segments[*id].contains(&c.code) => {
            if mode == Mode::Sync {
                applied.segments.entry((*id).clone()).or_default().removed.push(c.code.clone());
                false
            } else {
                applied.kept += 1;
                true
            }
        }
        _ => true,
    });
    let created = now_rfc3339();
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
                applied.segments.entry(id.clone()).or_default().added.push(code.clone());
            }
        }
    }
    for change in applied.segments.values_mut() {
        change.removed.sort();
    }
    applied
}
