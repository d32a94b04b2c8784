//! The coding files: `codings/<coder>.csv` (`source,start,end,code,coder,created,text`, sorted)
//! and `codings/<coder>.orphaned.csv` for codings whose text could not be re-anchored.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Coder, Coding};
use crate::codebook::CodePath;
use crate::corpus::SourceId;
use crate::csv_rows::Rows;
use crate::error::{Error, Location, Result};
use crate::project::txn::Transaction;
use crate::project::{Project, CODINGS_DIR};

pub const HEADER: [&str; 7] = ["source", "start", "end", "code", "coder", "created", "text"];
/// Merged projects add the project each coding came from as an eighth column.
pub const ORIGIN: &str = "origin";
const ORPHANED: &str = ".orphaned.csv";

/// Which of a coder's two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Anchored,
    Orphaned,
}

pub fn path(project: &Project, coder: &Coder, kind: Kind) -> PathBuf {
    let name = match kind {
        Kind::Anchored => format!("{coder}.csv"),
        Kind::Orphaned => format!("{coder}{ORPHANED}"),
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
        let stem = name.strip_suffix(ORPHANED).or_else(|| name.strip_suffix(".csv"));
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
struct Records {
    path: PathBuf,
    rows: Rows<fs::File>,
    record: csv::ByteRecord,
    /// The line the current row starts on.
    line: usize,
    with_origin: bool,
    // Rows are sorted by source: neighbours share their source, and often code and coder.
    source: Memo<SourceId>,
    code: Memo<CodePath>,
    coder: Memo<Coder>,
}

/// The last value parsed from a column, reused while the column repeats it.
struct Memo<T> {
    bytes: Vec<u8>,
    value: Option<T>,
}

impl<T: Clone> Memo<T> {
    fn new() -> Memo<T> {
        Memo { bytes: Vec::new(), value: None }
    }

    fn get(&mut self, bytes: &[u8], parse: impl FnOnce(&str) -> Result<T, String>) -> Result<T, String> {
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

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
}

/// Every anchored coding without its text, each distinct source, code, coder and time stored
/// once, and each list sorted, so that numbers compare as the values do: how indexing, tables and
/// export hold millions of codings in tens of megabytes.
#[derive(Debug, Default)]
pub struct Spans {
    pub sources: Vec<SourceId>,
    pub codes: Vec<CodePath>,
    pub coders: Vec<Coder>,
    pub times: Vec<String>,
    pub rows: Vec<Span>,
}

/// One coding of [`Spans`]: positions in its lists. Ordered as codings are: source, span, code,
/// coder, then time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub source: u32,
    pub start: usize,
    pub end: usize,
    pub code: u32,
    pub coder: u32,
    pub created: u32,
}

impl Span {
    /// Does this coding overlap the half-open span `[start, end)`?
    pub fn overlaps(&self, start: usize, end: usize) -> bool {
        self.start < end && start < self.end
    }
}

/// The distinct values of one column, numbered as first seen; each is parsed (checked) once.
struct Interner<T> {
    ids: rustc_hash::FxHashMap<Vec<u8>, u32>,
    values: Vec<T>,
    /// Sorted rows repeat their neighbour's source, and often its code, coder and time.
    last: Memo<u32>,
}

impl<T> Interner<T> {
    fn new() -> Interner<T> {
        Interner { ids: Default::default(), values: Vec::new(), last: Memo::new() }
    }

    fn id(&mut self, bytes: &[u8], parse: impl FnOnce(&str) -> Result<T, String>) -> Result<u32, String> {
        let Interner { ids, values, last } = self;
        last.get(bytes, |text| match ids.get(text.as_bytes()) {
            Some(id) => Ok(*id),
            None => {
                let id = values.len() as u32;
                values.push(parse(text)?);
                ids.insert(text.as_bytes().to_vec(), id);
                Ok(id)
            }
        })
    }
}

/// Sorts `values`, dropping repeats; returns where each old position went.
fn sorted_numbering<T: Ord>(values: Vec<T>) -> (Vec<T>, Vec<u32>) {
    let mut order: Vec<(T, u32)> = values.into_iter().enumerate().map(|(i, v)| (v, i as u32)).collect();
    order.sort();
    let mut renumber = vec![0; order.len()];
    let mut kept: Vec<T> = Vec::with_capacity(order.len());
    for (v, old) in order {
        if kept.last() != Some(&v) {
            kept.push(v);
        }
        renumber[old as usize] = kept.len() as u32 - 1;
    }
    (kept, renumber)
}

impl Spans {
    /// The rows of one source, in order: a run of the rows, which must be sorted (as
    /// [`Spans::normalise`] leaves them; rows as read are in the order of their files).
    pub fn rows_of(&self, source: &str) -> &[Span] {
        let Ok(i) = self.sources.binary_search_by(|s| s.as_str().cmp(source)) else {
            return &[];
        };
        let i = i as u32;
        let (from, to) = (self.rows.partition_point(|r| r.source < i), self.rows.partition_point(|r| r.source <= i));
        &self.rows[from..to]
    }

    /// Sorts and removes duplicates (same source, span, code and coder: the earliest is kept),
    /// as [`normalise`] does for codings.
    pub fn normalise(&mut self) {
        self.rows.sort_unstable();
        self.rows.dedup_by(|later, first| {
            (later.source, later.start, later.end, later.code, later.coder) == (first.source, first.start, first.end, first.code, first.coder)
        });
    }

    /// Joins files read apart, and sorts each list (renumbering the rows).
    fn join(parts: Vec<Spans>) -> Spans {
        let mut all = Spans::default();
        let mut offsets = Vec::new();
        for part in &parts {
            offsets.push((all.sources.len() as u32, all.codes.len() as u32, all.coders.len() as u32, all.times.len() as u32));
            all.sources.extend(part.sources.iter().cloned());
            all.codes.extend(part.codes.iter().cloned());
            all.coders.extend(part.coders.iter().cloned());
            all.times.extend(part.times.iter().cloned());
        }
        let (sources, s) = sorted_numbering(std::mem::take(&mut all.sources));
        let (codes, c) = sorted_numbering(std::mem::take(&mut all.codes));
        let (coders, k) = sorted_numbering(std::mem::take(&mut all.coders));
        let (times, t) = sorted_numbering(std::mem::take(&mut all.times));
        all = Spans { sources, codes, coders, times, rows: Vec::with_capacity(parts.iter().map(|p| p.rows.len()).sum()) };
        for (part, (so, co, ko, to)) in parts.into_iter().zip(offsets) {
            all.rows.extend(part.rows.into_iter().map(|r| Span {
                source: s[(so + r.source) as usize],
                start: r.start,
                end: r.end,
                code: c[(co + r.code) as usize],
                coder: k[(ko + r.coder) as usize],
                created: t[(to + r.created) as usize],
            }));
        }
        all
    }

    /// One coding file's spans (an empty set if there is no file). A plainly written file (as
    /// quire writes them) is split here, skipping over each text; anything else goes through the
    /// CSV reader, which gives the same rows, or says where a malformed one is.
    fn read_file(path: &Path) -> Result<Spans> {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Spans::default()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut spans = SpanBuilder::new(path);
        if plain_rows(path, file, PLAIN_BLOCK, |line, fields| spans.push(line, fields))?.is_some() {
            return Ok(spans.finish());
        }
        let Some(mut records) = Records::open(path)? else {
            return Ok(Spans::default());
        };
        let mut spans = SpanBuilder::new(path);
        while records.advance()? {
            let r = &records.record;
            spans.push(records.line, [&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]])?;
        }
        Ok(spans.finish())
    }
}

/// Spans of one file as its rows come, each distinct value parsed once.
struct SpanBuilder<'a> {
    path: &'a Path,
    sources: Interner<SourceId>,
    codes: Interner<CodePath>,
    coders: Interner<Coder>,
    times: Interner<String>,
    rows: Vec<Span>,
}

impl SpanBuilder<'_> {
    fn new(path: &Path) -> SpanBuilder<'_> {
        SpanBuilder { path, sources: Interner::new(), codes: Interner::new(), coders: Interner::new(), times: Interner::new(), rows: Vec::new() }
    }

    /// A row's first six fields (source, start, end, code, coder, created), starting on `line`.
    fn push(&mut self, line: usize, f: [&[u8]; 6]) -> Result<()> {
        let bad = |what: String| Error::invalid(Location { path: self.path.to_path_buf(), line: Some(line) }, what);
        let (start, end) = span_of(f[1], f[2]).map_err(bad)?;
        let span = Span {
            source: self.sources.id(f[0], SourceId::parse).map_err(bad)?,
            start,
            end,
            code: self.codes.id(f[3], CodePath::parse).map_err(bad)?,
            coder: self.coders.id(f[4], str::parse).map_err(bad)?,
            created: self.times.id(f[5], |t| Ok(t.to_string())).map_err(bad)?,
        };
        self.rows.push(span);
        Ok(())
    }

    fn finish(self) -> Spans {
        Spans { sources: self.sources.values, codes: self.codes.values, coders: self.coders.values, times: self.times.values, rows: self.rows }
    }
}

/// A row's character span from its `start` and `end` fields.
fn span_of(start: &[u8], end: &[u8]) -> Result<(usize, usize), String> {
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

/// Where the unquoted field at `at` ends (after its terminator), if `ends_with` ends it (or the
/// end of the file, if `last`) and it holds no quote or carriage return.
fn plain_field(bytes: &[u8], at: usize, ends_with: u8, last: bool) -> Option<usize> {
    let rest = bytes.get(at..)?;
    let len = memchr::memchr2(b',', b'\n', rest).unwrap_or(rest.len());
    if memchr::memchr2(b'"', b'\r', &rest[..len]).is_some() {
        return None;
    }
    match rest.get(len) {
        Some(b) if *b == ends_with => Some(at + len + 1),
        None if last => Some(at + len),
        _ => None,
    }
}

/// How much of a coding file [`plain_rows`] reads at a time.
const PLAIN_BLOCK: usize = 1 << 20;

/// Splits a coding file written plainly: the header, then rows whose first six fields are
/// unquoted, whose text is quoted or not (and whose origin, if the file has that column, is
/// unquoted), each ending in `\n`. Calls `row` with each row's line and first six fields, and
/// returns `None`, having stopped, at the first thing it does not expect (a quoted id, a `\r`,
/// a blank line, a missing or extra field): the CSV reader then reads the file instead.
///
/// `input` is read `block` bytes at a time, and split up to the last `\n` after which the
/// quotes pair up (in a plainly written file, the end of a row), the rest kept for the next block.
fn plain_rows(path: &Path, mut input: impl Read, block: usize, mut row: impl FnMut(usize, [&[u8]; 6]) -> Result<()>) -> Result<Option<()>> {
    let mut buf: Vec<u8> = Vec::new();
    let mut origin: Option<bool> = None;
    let mut line = 2;
    loop {
        let n = (&mut input).take(block as u64).read_to_end(&mut buf).map_err(|e| Error::io(path, e))?;
        let eof = n < block;
        if origin.is_none() {
            let Some(first_end) = memchr::memchr(b'\n', &buf) else {
                if eof {
                    return Ok(None);
                }
                continue;
            };
            let header = HEADER.join(",");
            let with_origin = format!("{header},{ORIGIN}");
            origin = Some(match &buf[..first_end] {
                h if h == header.as_bytes() => false,
                h if h == with_origin.as_bytes() => true,
                _ => return Ok(None),
            });
            buf.drain(..=first_end);
        }
        let end = if eof { buf.len() } else { rows_end(&buf) };
        let Some(next) = plain_rows_in(&buf[..end], origin == Some(true), line, &mut row)? else {
            return Ok(None);
        };
        if eof {
            return Ok(Some(()));
        }
        line = next;
        buf.drain(..end);
    }
}

/// The end of the last row in `bytes` (which begin with a row): after the last `\n` before
/// which the quotes pair up; 0 if there is none.
fn rows_end(bytes: &[u8]) -> usize {
    let (mut quoted, mut end) = (false, 0);
    for i in memchr::memchr2_iter(b'"', b'\n', bytes) {
        match bytes[i] {
            b'"' => quoted = !quoted,
            _ if !quoted => end = i + 1,
            _ => {}
        }
    }
    end
}

/// The rows of `bytes` (whole rows, the first on `line`), as [`plain_rows`] splits them; the
/// line after them, or `None` at anything unexpected.
fn plain_rows_in(bytes: &[u8], origin: bool, mut line: usize, row: &mut impl FnMut(usize, [&[u8]; 6]) -> Result<()>) -> Result<Option<usize>> {
    let mut at = 0;
    while at < bytes.len() {
        let mut fields: [&[u8]; 6] = [&[]; 6];
        for f in &mut fields {
            let Some(comma) = memchr::memchr3(b',', b'\n', b'"', &bytes[at..]) else {
                return Ok(None);
            };
            if bytes[at + comma] != b',' || memchr::memchr(b'\r', &bytes[at..at + comma]).is_some() {
                return Ok(None);
            }
            *f = &bytes[at..at + comma];
            at += comma + 1;
        }
        // The text: quoted (with `""` for a quote, newlines allowed) or plain; then the origin.
        let start_line = line;
        let text_end = if origin { b',' } else { b'\n' };
        if bytes.get(at) == Some(&b'"') {
            let mut i = at + 1;
            loop {
                let Some(q) = memchr::memchr(b'"', &bytes[i..]) else {
                    return Ok(None);
                };
                line += memchr::memchr_iter(b'\n', &bytes[i..i + q]).count();
                i += q + 1;
                if bytes.get(i) != Some(&b'"') {
                    break;
                }
                i += 1;
            }
            match bytes.get(i) {
                Some(b) if *b == text_end => at = i + 1,
                None if !origin => at = i,
                _ => return Ok(None),
            }
        } else {
            let Some(next) = plain_field(bytes, at, text_end, !origin) else {
                return Ok(None);
            };
            at = next;
        }
        if origin {
            let Some(next) = plain_field(bytes, at, b'\n', true) else {
                return Ok(None);
            };
            at = next;
        }
        row(start_line, fields)?;
        line += 1;
    }
    Ok(Some(line))
}

/// Every coder's anchored codings without their texts (the files are read in parallel).
pub fn read_spans(project: &Project) -> Result<Spans> {
    use rayon::prelude::*;
    let parts = coders(project)?.par_iter().map(|coder| Spans::read_file(&path(project, coder, Kind::Anchored))).collect::<Result<Vec<_>>>()?;
    Ok(Spans::join(parts))
}

impl Records {
    /// Opens a coding file and checks its header; `None` if there is no file.
    fn open(path: &Path) -> Result<Option<Records>> {
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
    fn advance(&mut self) -> Result<bool> {
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

/// One row of a coding file, borrowed: what is written, without owning it.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub source: &'a SourceId,
    pub start: usize,
    pub end: usize,
    pub code: &'a CodePath,
    pub coder: &'a Coder,
    pub created: &'a str,
    pub text: &'a str,
    pub origin: Option<&'a str>,
}

impl<'a> Row<'a> {
    pub fn of(c: &'a Coding) -> Row<'a> {
        Row {
            source: &c.source,
            start: c.start,
            end: c.end,
            code: &c.code,
            coder: &c.coder,
            created: &c.created,
            text: &c.text,
            origin: c.origin.as_deref(),
        }
    }

    /// The order of a coding file (as [`Coding::key`]).
    pub fn key(&self) -> (&'a SourceId, usize, usize, &'a CodePath, &'a Coder) {
        (self.source, self.start, self.end, self.code, self.coder)
    }
}

/// Writes a coding file row by row.
pub struct RowWriter<W: std::io::Write> {
    csv: csv::Writer<W>,
    with_origin: bool,
    field: String,
}

impl<W: std::io::Write> RowWriter<W> {
    /// Starts a coding file with its header.
    pub fn new(out: W, with_origin: bool) -> std::io::Result<RowWriter<W>> {
        let mut csv = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
        let mut header = HEADER.to_vec();
        if with_origin {
            header.push(ORIGIN);
        }
        csv.write_record(&header)?;
        Ok(RowWriter { csv, with_origin, field: String::new() })
    }

    pub fn write(&mut self, r: &Row<'_>) -> std::io::Result<()> {
        use std::fmt::Write as _;
        let w = &mut self.csv;
        w.write_field(r.source.as_str())?;
        for n in [r.start, r.end] {
            self.field.clear();
            let _ = write!(self.field, "{n}");
            w.write_field(&self.field)?;
        }
        self.field.clear();
        let _ = write!(self.field, "{}", r.code);
        w.write_field(&self.field)?;
        w.write_field(r.coder.as_str())?;
        w.write_field(r.created)?;
        w.write_field(r.text)?;
        if self.with_origin {
            w.write_field(r.origin.unwrap_or(""))?;
        }
        w.write_record(None::<&[u8]>).map_err(std::io::Error::from)
    }

    /// Flushes, handing back the output.
    pub fn finish(self) -> std::io::Result<W> {
        self.csv.into_inner().map_err(|e| e.into_error())
    }
}

pub fn to_csv(codings: &[Coding]) -> Vec<u8> {
    let with_origin = codings.iter().any(|c| c.origin.is_some());
    let mut out = RowWriter::new(Vec::new(), with_origin).expect("writing to memory");
    for c in codings {
        out.write(&Row::of(c)).expect("writing to memory");
    }
    out.finish().expect("writing to memory")
}

/// Stages a coder's file holding its codings and `new` ones, streamed to disk rather than built
/// in memory. A new coding whose key is already there is dropped (the earlier one is kept, as
/// [`normalise`] does). The file on disk is merged as it is read when it is sorted, as quire
/// writes it; a file edited out of order is read whole and sorted. Returns how many new ones
/// were kept.
pub fn stage_merged(tx: &mut Transaction<'_>, project: &Project, coder: &Coder, mut new: Vec<Row<'_>>) -> Result<usize> {
    new.sort_by(|a, b| a.key().cmp(&b.key()));
    new.dedup_by(|later, first| later.key() == first.key());
    let target = path(project, coder, Kind::Anchored);
    let mut added = 0;
    if let Some(records) = Records::open(&target)? {
        let with_origin = records.with_origin || new.iter().any(|r| r.origin.is_some());
        // Why streaming stopped early: a bad row (an error to report) or a row out of order.
        let mut bad_row: Option<Error> = None;
        let mut out_of_order = false;
        let streamed = tx.write_with(target.clone(), |w| {
            let mut out = RowWriter::new(w, with_origin)?;
            let mut pending = new.iter().peekable();
            let mut previous: Option<Coding> = None;
            for record in records {
                let coding = match record {
                    Ok((_, c)) if previous.as_ref().is_none_or(|p| p.key() < c.key()) => c,
                    Ok(_) => {
                        out_of_order = true;
                        return Err(std::io::Error::other("coding file out of order"));
                    }
                    Err(e) => {
                        bad_row = Some(e);
                        return Err(std::io::Error::other("bad row in the coding file"));
                    }
                };
                added += merge_row(&mut out, &mut pending, &Row::of(&coding))?;
                previous = Some(coding);
            }
            added += finish_merge(out, pending)?;
            Ok(())
        });
        match (streamed, bad_row) {
            (_, Some(e)) => return Err(e),
            (Ok(()), None) => return Ok(added),
            // Edited out of order: read it whole below.
            (Err(_), None) if out_of_order => added = 0,
            (Err(e), None) => return Err(e),
        }
    }
    let mut existing = read(&target)?;
    normalise(&mut existing);
    let with_origin = existing.iter().any(|c| c.origin.is_some()) || new.iter().any(|r| r.origin.is_some());
    tx.write_with(target, |w| {
        let mut out = RowWriter::new(w, with_origin)?;
        let mut pending = new.iter().peekable();
        for coding in &existing {
            added += merge_row(&mut out, &mut pending, &Row::of(coding))?;
        }
        added += finish_merge(out, pending)?;
        Ok(())
    })?;
    Ok(added)
}

type Pending<'r, 'a> = std::iter::Peekable<std::slice::Iter<'r, Row<'a>>>;

/// Writes the new rows that sort before `row`, then `row`; a new row with `row`'s key is
/// dropped. Returns how many new rows were written.
fn merge_row<W: std::io::Write>(out: &mut RowWriter<W>, pending: &mut Pending<'_, '_>, row: &Row<'_>) -> std::io::Result<usize> {
    let mut written = 0;
    while let Some(n) = pending.next_if(|n| n.key() <= row.key()) {
        if n.key() < row.key() {
            out.write(n)?;
            written += 1;
        }
    }
    out.write(row)?;
    Ok(written)
}

/// Writes the new rows left after the last old one; returns how many.
fn finish_merge<W: std::io::Write>(mut out: RowWriter<W>, pending: Pending<'_, '_>) -> std::io::Result<usize> {
    let mut written = 0;
    for n in pending {
        out.write(n)?;
        written += 1;
    }
    out.finish()?;
    Ok(written)
}

/// Writes a coder's file atomically, sorted; an empty orphan file is removed.
pub fn write(project: &Project, coder: &Coder, kind: Kind, codings: &mut Vec<Coding>) -> Result<()> {
    let mut tx = Transaction::new(project);
    stage(&mut tx, project, coder, kind, codings);
    tx.commit()
}

/// Adds the writing of a coder's file (sorted; an empty orphan file is removed) to a transaction.
pub fn stage(tx: &mut Transaction<'_>, project: &Project, coder: &Coder, kind: Kind, codings: &mut Vec<Coding>) {
    normalise(codings);
    let path = path(project, coder, kind);
    if codings.is_empty() && kind == Kind::Orphaned {
        if path.exists() {
            tx.remove(path);
        }
    } else {
        tx.write(path, to_csv(codings));
    }
}

/// Every anchored coding of every coder, coder after coder (the files are read in parallel).
pub fn read_all(project: &Project) -> Result<Vec<Coding>> {
    use rayon::prelude::*;
    let files: Vec<Vec<(usize, Coding)>> =
        coders(project)?.par_iter().map(|coder| read_lines(&path(project, coder, Kind::Anchored))).collect::<Result<_>>()?;
    Ok(files.into_iter().flatten().map(|(_, c)| c).collect())
}

/// Stages the rewrite of every coder's codings after codebook edits moved or removed codes.
/// Returns (codings moved, codings removed); stages only files that change.
pub fn follow(tx: &mut Transaction<'_>, project: &Project, changes: &[crate::codebook::edit::PathChange]) -> Result<(usize, usize)> {
    let (mut moved, mut removed) = (0, 0);
    if changes.is_empty() {
        return Ok((0, 0));
    }
    for coder in coders(project)? {
        for kind in [Kind::Anchored, Kind::Orphaned] {
            let original = read(&path(project, &coder, kind))?;
            let mut updated = Vec::with_capacity(original.len());
            for mut c in original.iter().cloned() {
                match changes.iter().find_map(|ch| ch.apply(&c.code)) {
                    Some(Some(to)) => {
                        c.code = to;
                        moved += 1;
                        updated.push(c);
                    }
                    Some(None) => removed += 1,
                    None => updated.push(c),
                }
            }
            if updated != original {
                stage(tx, project, &coder, kind, &mut updated);
            }
        }
    }
    Ok((moved, removed))
}

/// How many codings of any coder use `code` or a code below it.
pub fn count_using(project: &Project, code: &CodePath) -> Result<usize> {
    Ok(read_all(project)?.iter().filter(|c| c.code.starts_with(code)).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    type Fields = (usize, Vec<Vec<u8>>);

    /// Rows as the CSV reader gives them (line, first six fields), or its error.
    fn csv_rows(path: &Path) -> Result<Vec<Fields>> {
        let mut records = Records::open(path)?.unwrap();
        let mut rows = Vec::new();
        while records.advance()? {
            rows.push((records.line, (0..6).map(|i| records.record[i].to_vec()).collect()));
        }
        Ok(rows)
    }

    /// The rows `plain_rows` splits from `bytes`, the same whether it reads them whole or in
    /// blocks of a few bytes.
    fn plain(bytes: &[u8]) -> Option<Vec<Fields>> {
        let split = |block: usize| {
            let mut rows = Vec::new();
            plain_rows(Path::new("a.csv"), bytes, block, |line, f| {
                rows.push((line, f.iter().map(|x| x.to_vec()).collect()));
                Ok(())
            })
            .unwrap()
            .map(|()| rows)
        };
        let whole = split(bytes.len() + 1);
        for block in [1, 2, 3, 7, 64] {
            assert_eq!(split(block), whole, "{block}-byte blocks of {:?}", String::from_utf8_lossy(bytes));
        }
        whole
    }

    #[test]
    fn plainly_written_files_split_as_the_csv_reader_reads_them_and_others_go_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.csv");
        let mut with_origin = coding("S2", 4, "a/b", "ana", "2024-01-02T03:04:05Z");
        with_origin.origin = Some("pt".into());
        let mut plain_text = coding("S3", 1, "a", "ana", "t");
        plain_text.text = "geen aanhalingstekens".into();
        let mut empty_text = coding("S4", 1, "a", "ana", "t");
        empty_text.text = String::new();
        let written = [
            to_csv(&[coding("S1", 0, "a/b", "ana", "2024-01-02T03:04:05Z"), plain_text.clone(), empty_text.clone()]),
            to_csv(&[coding("S1", 0, "a", "bo", "t"), with_origin, plain_text]),
        ];
        for bytes in &written {
            fs::write(&path, bytes).unwrap();
            let fast = plain(bytes).expect("quire's own files take the plain path");
            assert_eq!(fast, csv_rows(&path).unwrap(), "{}", String::from_utf8_lossy(bytes));
            assert!(fast.iter().any(|(line, _)| *line > 3), "a quoted newline counts as a line");
        }
        let header = HEADER.join(",");
        // Valid CSV that is not plain: the CSV reader reads it (the same rows where both can).
        let others = [
            format!("{header}\r\nS1,0,5,a,ana,t,x\r\n"),
            format!("{header}\n\"S1\",0,5,a,ana,t,x\n"),
            format!("{header}\nS1,0,5,a,ana,t,x\n\nS2,0,5,a,ana,t,y\n"),
            format!("{header}\nS1,0,5,a,ana,t,say \"no\"\n"),
            format!("{header},{ORIGIN}\nS1,0,5,a,ana,t,x\n"),
        ];
        for text in &others {
            assert_eq!(plain(text.as_bytes()), None, "{text:?}");
        }
        // Without a final newline, or with a quoted text at the end of the file, rows still split.
        for text in [format!("{header}\nS1,0,5,a,ana,t,x"), format!("{header}\nS1,0,5,a,ana,t,\"x, \"\"y\"\"\"")] {
            fs::write(&path, &text).unwrap();
            assert_eq!(plain(text.as_bytes()).unwrap(), csv_rows(&path).unwrap(), "{text:?}");
        }
        // A row with a field too many is malformed for the CSV reader: not split here either.
        let extra = format!("{header}\nS1,0,5,a,ana,t,x,y\n");
        fs::write(&path, &extra).unwrap();
        assert!(csv_rows(&path).is_err());
        assert_eq!(plain(extra.as_bytes()), None);
        // Either way, a bad span is refused with its line, also in a file saved with CRLF line
        // ends, a byte order mark and a blank line (read by the CSV reader).
        for (text, line) in [
            (format!("{header}\nS1,0,5,a,ana,t,\"x\ny\"\nS1,9,3,a,ana,t,z\n"), 4),
            (format!("\u{feff}{header}\r\nS1,0,5,a,ana,t,x\r\n\r\nS1,9,3,a,ana,t,z\r\n"), 4),
        ] {
            fs::write(&path, &text).unwrap();
            assert_eq!(csv_rows(&path).unwrap()[1].0, line);
            let e = Spans::read_file(&path).unwrap_err().to_string();
            assert!(e.contains(&format!("a.csv:{line}:")) && e.contains("empty or reversed span 9..3"), "{e}");
        }
        assert_eq!(csv_rows(&path).unwrap().len(), 2);
    }

    fn coding(source: &str, start: usize, code: &str, coder: &str, created: &str) -> Coding {
        Coding {
            source: SourceId::parse(source).unwrap(),
            start,
            end: start + 5,
            code: CodePath::parse(code).unwrap(),
            coder: coder.parse().unwrap(),
            created: created.into(),
            text: "a, \"quoted\"\nline".into(),
            origin: None,
        }
    }

    #[test]
    fn spans_of_several_files_keep_each_codings_values_with_lists_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let files = [
            vec![coding("PT-02", 3, "b/x", "zoe", "2024-01-02"), coding("PT-02", 9, "a", "zoe", "2024-01-01")],
            vec![coding("BE-01", 0, "b/x", "ann", "2024-01-03"), coding("PT-02", 3, "b/x", "ann", "2024-01-01")],
        ];
        let mut parts = Vec::new();
        for (i, codings) in files.iter().enumerate() {
            let path = dir.path().join(format!("{i}.csv"));
            std::fs::write(&path, to_csv(codings)).unwrap();
            parts.push(Spans::read_file(&path).unwrap());
        }
        let mut spans = Spans::join(parts);
        assert_eq!(spans.sources.iter().map(SourceId::as_str).collect::<Vec<_>>(), ["BE-01", "PT-02"]);
        assert_eq!(spans.coders.iter().map(Coder::as_str).collect::<Vec<_>>(), ["ann", "zoe"]);
        assert_eq!(spans.times, ["2024-01-01", "2024-01-02", "2024-01-03"]);
        // Every row still names what its coding held.
        let back = |s: &Spans, r: &Span| {
            (
                s.sources[r.source as usize].to_string(),
                r.start,
                s.codes[r.code as usize].to_string(),
                s.coders[r.coder as usize].to_string(),
                s.times[r.created as usize].clone(),
            )
        };
        let mut read: Vec<_> = spans.rows.iter().map(|r| back(&spans, r)).collect();
        let mut written: Vec<_> =
            files.iter().flatten().map(|c| (c.source.to_string(), c.start, c.code.to_string(), c.coder.to_string(), c.created.clone())).collect();
        read.sort();
        written.sort();
        assert_eq!(read, written);
        // Normalised rows come in the order of the codings they stand for.
        spans.normalise();
        let ordered: Vec<_> = spans.rows.iter().map(|r| back(&spans, r)).collect();
        let mut expected = written.clone();
        expected.sort_by(|a, b| (&a.0, a.1, &a.2, &a.3).cmp(&(&b.0, b.1, &b.2, &b.3)));
        assert_eq!(ordered, expected);
        // A source's rows are its run of the sorted rows; an unknown source has none.
        for source in ["BE-01", "PT-02"] {
            let rows: Vec<_> = spans.rows_of(source).iter().map(|r| back(&spans, r)).collect();
            assert_eq!(rows, expected.iter().filter(|e| e.0 == source).cloned().collect::<Vec<_>>(), "{source}");
        }
        assert_eq!(spans.rows_of("PT-02").len(), 3);
        assert!(spans.rows_of("DE-01").is_empty() && spans.rows_of("ZZ").is_empty());
    }

    #[test]
    fn a_bad_row_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut bytes = to_csv(&[coding("PT-02", 3, "b/x", "zoe", "2024-01-02")]);
        bytes.extend_from_slice(b"PT-02,9,4,a,zoe,2024-01-01,t\n");
        std::fs::write(&path, bytes).unwrap();
        let e = Spans::read_file(&path).unwrap_err().to_string();
        assert!(e.contains("x.csv:4") && e.contains("empty or reversed span 9..4"), "{e}");
    }
}
