//! Codings without their texts, interned once for every reader: each distinct source, code, coder
//! and time stored once and numbered ([`SourceIx`], [`CodeIx`], [`CoderIx`]), the rows always
//! sorted and without duplicates; read from every coder's file (by the plain fast path where it
//! can). Tables, the index and export all use these numbers rather than numbering again.

use std::fs;
use std::path::Path;

use super::layout::{coders, path, CodingFile};
use super::plain_csv::{plain_rows, PLAIN_BLOCK};
use super::records::{span_of, Memo, Records};
use super::Coder;
use crate::codebook::CodePath;
use crate::corpus::SourceId;
use crate::error::{Error, Location, Result};
use crate::project::Project;

/// Defines a position in one of the lists of [`Spans`]: a `u32` that says which list it indexes.
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The position numbered `n` (as a cache stores it; check it against the list).
            pub const fn new(n: u32) -> $name {
                $name(n)
            }

            /// The number, as stored.
            pub const fn get(self) -> u32 {
                self.0
            }

            /// The position in its list.
            pub const fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

index_type!(
    /// A source's position in [`Spans::sources`] (sorted: numbers compare as the ids do).
    SourceIx
);
index_type!(
    /// A code's position in [`Spans::codes`] (sorted: numbers compare as the paths do).
    CodeIx
);
index_type!(
    /// A coder's position in [`Spans::coders`] (sorted: numbers compare as the names do).
    CoderIx
);

/// Every anchored coding without its text, each distinct source, code, coder and time stored
/// once, and each list sorted, so that numbers compare as the values do: how indexing, tables and
/// export hold millions of codings in tens of megabytes. The rows are sorted and distinct by
/// construction (nothing outside this file can make or change them), so a source's rows are
/// always one run of them ([`Spans::rows_of`]).
#[derive(Debug, Default)]
pub struct Spans {
    sources: Vec<SourceId>,
    codes: Vec<CodePath>,
    coders: Vec<Coder>,
    times: Vec<String>,
    rows: Vec<Span>,
}

/// One coding of [`Spans`]: positions in its lists. Ordered as codings are: source, span, code,
/// coder, then time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub source: SourceIx,
    pub start: usize,
    pub end: usize,
    pub code: CodeIx,
    pub coder: CoderIx,
    /// Position in [`Spans::times`].
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
    /// Every coding, sorted as codings are (source, span, code, coder, time): each source's rows
    /// are one run, each span's codings a run within it.
    pub fn rows(&self) -> &[Span] {
        &self.rows
    }

    /// The rows of one source, in order (a run of the sorted rows; none for an unknown source).
    pub fn rows_of(&self, source: &str) -> &[Span] {
        let Ok(i) = self.sources.binary_search_by(|s| s.as_str().cmp(source)) else {
            return &[];
        };
        let i = SourceIx(i as u32);
        let (from, to) = (self.rows.partition_point(|r| r.source < i), self.rows.partition_point(|r| r.source <= i));
        &self.rows[from..to]
    }

    /// The distinct sources of the codings, sorted; a [`SourceIx`] is a position here.
    pub fn sources(&self) -> &[SourceId] {
        &self.sources
    }

    /// The distinct codes of the codings, sorted; a [`CodeIx`] is a position here.
    pub fn codes(&self) -> &[CodePath] {
        &self.codes
    }

    /// The distinct coders of the codings, sorted; a [`CoderIx`] is a position here.
    pub fn coders(&self) -> &[Coder] {
        &self.coders
    }

    /// The distinct creation times of the codings, sorted; [`Span::created`] is a position here.
    pub fn times(&self) -> &[String] {
        &self.times
    }

    pub fn source(&self, ix: SourceIx) -> &SourceId {
        &self.sources[ix.index()]
    }

    pub fn code(&self, ix: CodeIx) -> &CodePath {
        &self.codes[ix.index()]
    }

    pub fn coder(&self, ix: CoderIx) -> &Coder {
        &self.coders[ix.index()]
    }

    /// Joins files read apart: sorts each list (renumbering the rows), then the rows, and drops
    /// duplicates (same source, span, code and coder: the earliest is kept), as [`normalise`]
    /// does for codings. Each file's rows come sorted already (quire writes them so): the sort
    /// merges those runs.
    ///
    /// [`normalise`]: super::records::normalise
    fn join(parts: Vec<Part>) -> Spans {
        let mut all = Part::default();
        let mut offsets = Vec::new();
        for part in &parts {
            offsets.push((all.sources.len() as u32, all.codes.len() as u32, all.coders.len() as u32, all.times.len() as u32));
            all.sources.extend(part.sources.iter().cloned());
            all.codes.extend(part.codes.iter().cloned());
            all.coders.extend(part.coders.iter().cloned());
            all.times.extend(part.times.iter().cloned());
        }
        let (sources, s) = sorted_numbering(all.sources);
        let (codes, c) = sorted_numbering(all.codes);
        let (coders, k) = sorted_numbering(all.coders);
        let (times, t) = sorted_numbering(all.times);
        let mut rows = Vec::with_capacity(parts.iter().map(|p| p.rows.len()).sum());
        for (part, (so, co, ko, to)) in parts.into_iter().zip(offsets) {
            rows.extend(part.rows.into_iter().map(|r| Span {
                source: SourceIx(s[(so + r.source.0) as usize]),
                start: r.start,
                end: r.end,
                code: CodeIx(c[(co + r.code.0) as usize]),
                coder: CoderIx(k[(ko + r.coder.0) as usize]),
                created: t[(to + r.created) as usize],
            }));
        }
        // A stable sort: it finds the files' sorted runs and merges them.
        rows.sort();
        rows.dedup_by(|later, first| {
            (later.source, later.start, later.end, later.code, later.coder) == (first.source, first.start, first.end, first.code, first.coder)
        });
        Spans { sources, codes, coders, times, rows }
    }

    /// One coding file's spans (an empty set if there is no file).
    #[cfg(test)]
    pub(super) fn read_file(path: &Path) -> Result<Spans> {
        Ok(Spans::join(vec![Part::read(path)?]))
    }
}

/// The spans of one file as read: numbered as first seen in it, in the order of its rows.
#[derive(Default)]
struct Part {
    sources: Vec<SourceId>,
    codes: Vec<CodePath>,
    coders: Vec<Coder>,
    times: Vec<String>,
    rows: Vec<Span>,
}

impl Part {
    /// One coding file's spans (an empty set if there is no file). A plainly written file (as
    /// quire writes them) is split here, skipping over each text; anything else goes through the
    /// CSV reader, which gives the same rows, or says where a malformed one is.
    fn read(path: &Path) -> Result<Part> {
        Part::read_of(path, None)
    }

    /// As [`Part::read`], keeping only the rows of the sources in `only` (if given; the other
    /// rows are split but not checked).
    fn read_of(path: &Path, only: Option<&std::collections::BTreeSet<String>>) -> Result<Part> {
        let file = match fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Part::default()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut spans = SpanBuilder::new(path, only);
        if plain_rows(path, file, PLAIN_BLOCK, |line, fields| spans.push(line, fields))?.is_some() {
            return Ok(spans.finish());
        }
        let Some(mut records) = Records::open(path)? else {
            return Ok(Part::default());
        };
        let mut spans = SpanBuilder::new(path, only);
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
    only: Option<&'a std::collections::BTreeSet<String>>,
    sources: Interner<SourceId>,
    codes: Interner<CodePath>,
    coders: Interner<Coder>,
    times: Interner<String>,
    rows: Vec<Span>,
}

impl SpanBuilder<'_> {
    fn new<'a>(path: &'a Path, only: Option<&'a std::collections::BTreeSet<String>>) -> SpanBuilder<'a> {
        SpanBuilder {
            path,
            only,
            sources: Interner::new(),
            codes: Interner::new(),
            coders: Interner::new(),
            times: Interner::new(),
            rows: Vec::new(),
        }
    }

    /// A row's first six fields (source, start, end, code, coder, created), starting on `line`.
    fn push(&mut self, line: usize, f: [&[u8]; 6]) -> Result<()> {
        if self.only.is_some_and(|only| std::str::from_utf8(f[0]).map_or(true, |s| !only.contains(s))) {
            return Ok(());
        }
        let bad = |what: String| Error::invalid(Location { path: self.path.to_path_buf(), line: Some(line) }, what);
        let (start, end) = span_of(f[1], f[2]).map_err(bad)?;
        let span = Span {
            source: SourceIx(self.sources.id(f[0], SourceId::parse).map_err(bad)?),
            start,
            end,
            code: CodeIx(self.codes.id(f[3], CodePath::parse).map_err(bad)?),
            coder: CoderIx(self.coders.id(f[4], str::parse).map_err(bad)?),
            created: self.times.id(f[5], |t| Ok(t.to_string())).map_err(bad)?,
        };
        self.rows.push(span);
        Ok(())
    }

    fn finish(self) -> Part {
        Part { sources: self.sources.values, codes: self.codes.values, coders: self.coders.values, times: self.times.values, rows: self.rows }
    }
}

/// Every coder's anchored codings without their texts (the files are read in parallel), sorted
/// and without duplicates.
pub fn read_spans(project: &Project) -> Result<Spans> {
    use rayon::prelude::*;
    let parts = coders(project)?.par_iter().map(|coder| Part::read(&path(project, coder, CodingFile::Anchored))).collect::<Result<Vec<_>>>()?;
    Ok(Spans::join(parts))
}

/// The anchored codings of the coders named only (an incremental index update reads the files
/// that changed), sorted and without duplicates.
pub fn read_spans_of(project: &Project, coders: &[Coder]) -> Result<Spans> {
    use rayon::prelude::*;
    let parts = coders.par_iter().map(|coder| Part::read(&path(project, coder, CodingFile::Anchored))).collect::<Result<Vec<_>>>()?;
    Ok(Spans::join(parts))
}

/// The anchored codings of the coders named on the sources named only (an incremental index
/// update re-indexes a few sources), sorted and without duplicates.
pub fn read_spans_on(project: &Project, coders: &[Coder], sources: &std::collections::BTreeSet<String>) -> Result<Spans> {
    use rayon::prelude::*;
    let parts =
        coders.par_iter().map(|coder| Part::read_of(&path(project, coder, CodingFile::Anchored), Some(sources))).collect::<Result<Vec<_>>>()?;
    Ok(Spans::join(parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coding::store::to_csv;

    use crate::coding::test_coding as coding;

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
            parts.push(Part::read(&path).unwrap());
        }
        let spans = Spans::join(parts);
        assert_eq!(spans.sources().iter().map(SourceId::as_str).collect::<Vec<_>>(), ["BE-01", "PT-02"]);
        assert_eq!(spans.coders().iter().map(Coder::as_str).collect::<Vec<_>>(), ["ann", "zoe"]);
        assert_eq!(spans.times(), ["2024-01-01", "2024-01-02", "2024-01-03"]);
        // Every row still names what its coding held, and the rows come in the order of the
        // codings they stand for.
        let back = |s: &Spans, r: &Span| {
            (s.source(r.source).to_string(), r.start, s.code(r.code).to_string(), s.coder(r.coder).to_string(), s.times()[r.created as usize].clone())
        };
        let read: Vec<_> = spans.rows().iter().map(|r| back(&spans, r)).collect();
        let mut expected: Vec<_> =
            files.iter().flatten().map(|c| (c.source.to_string(), c.start, c.code.to_string(), c.coder.to_string(), c.created.clone())).collect();
        expected.sort_by(|a, b| (&a.0, a.1, &a.2, &a.3).cmp(&(&b.0, b.1, &b.2, &b.3)));
        assert_eq!(read, expected);
        // A source's rows are its run of the sorted rows; an unknown source has none.
        for source in ["BE-01", "PT-02"] {
            let rows: Vec<_> = spans.rows_of(source).iter().map(|r| back(&spans, r)).collect();
            assert_eq!(rows, expected.iter().filter(|e| e.0 == source).cloned().collect::<Vec<_>>(), "{source}");
        }
        assert_eq!(spans.rows_of("PT-02").len(), 3);
        assert!(spans.rows_of("DE-01").is_empty() && spans.rows_of("ZZ").is_empty());
    }

    #[test]
    fn unsorted_rows_come_sorted_and_a_repeated_coding_once_with_its_earliest_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut bytes = to_csv(&[coding("PT-02", 9, "a", "zoe", "2024-01-05")]);
        bytes.extend_from_slice(b"PT-02,3,5,a,zoe,2024-01-02,t\nPT-02,9,14,a,zoe,2024-01-01,t\n");
        std::fs::write(&path, bytes).unwrap();
        let spans = Spans::read_file(&path).unwrap();
        let rows: Vec<_> = spans.rows().iter().map(|r| (r.start, spans.times()[r.created as usize].as_str())).collect();
        assert_eq!(rows, [(3, "2024-01-02"), (9, "2024-01-01")]);
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
