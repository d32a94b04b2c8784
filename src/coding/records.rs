//! Reading a coding file into owned codings, row by row through the CSV reader, each with the
//! line its row starts on.

use std::fs;
use std::path::{Path, PathBuf};

use super::layout::{HEADER, ORIGIN};
use super::{Coder, Coding};
use crate::codebook::CodePath;
use crate::corpus::SourceId;
use crate::csv_rows::Rows;
use crate::error::{Error, Location, Result};

/// Reads one coding file; a missing file is an empty set.
pub fn read(path: &Path) -> Result<Vec<Coding>> {
    Ok(read_lines(path)?.into_iter().map(|(_, c)| c).collect())
}

/// Reads one coding file with the line each row starts on.
pub fn read_lines(path: &Path) -> Result<Vec<(usize, Coding)>> {
    match Records::open(path)? {
        Some(records) => records.collect(),
        None => Ok(Vec::new()),
    }
}

/// The codings of one file, one at a time, each with the line its row starts on.
pub(super) struct Records {
    path: PathBuf,
    rows: Rows<fs::File>,
    pub(super) record: csv::ByteRecord,
    /// The line the current row starts on.
    pub(super) line: usize,
    pub(super) with_origin: bool,
    // Rows are sorted by source: neighbours share their source, and often code and coder.
    source: Memo<SourceId>,
    code: Memo<CodePath>,
    coder: Memo<Coder>,
}

/// The last value parsed from a column, reused while the column repeats it.
pub(super) struct Memo<T> {
    bytes: Vec<u8>,
    value: Option<T>,
}

impl<T: Clone> Memo<T> {
    pub(super) fn new() -> Memo<T> {
        Memo { bytes: Vec::new(), value: None }
    }

    pub(super) fn get(&mut self, bytes: &[u8], parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, String> {
        if let Some(v) = self.value.as_ref().filter(|_| self.bytes == bytes) {
            return Ok(v.clone());
        }
        let v = parse(utf8(bytes)?)?;
        self.bytes.clear();
        self.bytes.extend_from_slice(bytes);
        self.value = Some(v.clone());
        Ok(v)
    }
}

#[inline]
pub(super) fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
}

/// A row's character span from its `start` and `end` fields.
#[inline]
pub(super) fn span_of(start: &[u8], end: &[u8]) -> Result<(usize, usize), String> {
    let number = |b: &[u8]| {
        let s = utf8(b)?;
        s.parse::<usize>().map_err(|_| format!("`{s}` is not a character offset"))
    };
    let (start, end) = (number(start)?, number(end)?);
    if start >= end {
        return Err(format!("empty or reversed span {start}..{end}"));
    }
    Ok((start, end))
}

impl Records {
    /// Opens a coding file and checks its header; `None` if there is no file.
    pub(super) fn open(path: &Path) -> Result<Option<Records>> {
        let Some(mut rows) = Rows::open_if_any(path, csv::ReaderBuilder::new().buffer_capacity(1 << 20))? else {
            return Ok(None);
        };
        let headers = rows.headers()?;
        let columns: Vec<&str> = headers.iter().collect();
        let with_origin = columns.len() == HEADER.len() + 1 && columns.last() == Some(&ORIGIN);
        if columns[..columns.len().min(HEADER.len())] != HEADER || !(columns.len() == HEADER.len() || with_origin) {
            return Err(Error::invalid(Location::line(path, 1), format!("expected the header `{}` (and optionally `{ORIGIN}`)", HEADER.join(","))));
        }
        Ok(Some(Records {
            path: path.to_path_buf(),
            rows,
            record: csv::ByteRecord::new(),
            line: 0,
            with_origin,
            source: Memo::new(),
            code: Memo::new(),
            coder: Memo::new(),
        }))
    }

    /// Reads the next row; false at the end of the file.
    pub(super) fn advance(&mut self) -> Result<bool> {
        match self.rows.read_bytes(&mut self.record)? {
            Some(line) => {
                self.line = line;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The current row's line and its checked span.
    fn checked_span(&self) -> Result<(usize, usize, usize)> {
        let (start, end) = span_of(&self.record[1], &self.record[2]).map_err(|what| Error::invalid(Location::line(&self.path, self.line), what))?;
        Ok((self.line, start, end))
    }

    fn parse(&mut self) -> Result<(usize, Coding)> {
        let (line, start, end) = self.checked_span()?;
        let Records { path, record, source, code, coder, with_origin, .. } = self;
        let bad = |what: String| Error::invalid(Location { path: path.clone(), line: Some(line) }, what);
        let text = |i: usize| utf8(&record[i]).map_err(bad);
        let coding = Coding {
            source: source.get(&record[0], SourceId::parse).map_err(bad)?,
            start,
            end,
            code: code.get(&record[3], CodePath::parse).map_err(bad)?,
            coder: coder.get(&record[4], str::parse).map_err(bad)?,
            created: text(5)?.to_string(),
            text: text(6)?.to_string(),
            origin: if *with_origin { Some(text(7)?.to_string()).filter(|o| !o.is_empty()) } else { None },
        };
        Ok((line, coding))
    }
}

impl Iterator for Records {
    type Item = Result<(usize, Coding)>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.advance() {
            Ok(false) => None,
            Ok(true) => Some(self.parse()),
            Err(e) => Some(Err(e)),
        }
    }
}

/// Sorts and removes duplicates (same source, span and code: the earliest is kept).
pub fn normalise(codings: &mut Vec<Coding>) {
    codings.sort_by(|a, b| a.key().cmp(&b.key()).then_with(|| a.created.cmp(&b.created)));
    codings.dedup_by(|later, first| later.key() == first.key());
}
