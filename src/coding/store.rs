//! Writing the coding files: whole files, or new codings merged into a file as it is streamed;
//! and the entry point for everything about coding files (reading, layout and spans are
//! re-exported from the files beside this one).

pub use super::layout::{coders, path, CodingFile, HEADER, ORIGIN};
use super::records::Records;
pub use super::records::{normalise, read, read_lines};
pub use super::spans::{read_spans, read_spans_of, read_spans_on, CodeIx, CoderIx, SourceIx, Span, Spans};
use super::{Coder, Coding};
use crate::codebook::CodePath;
use crate::corpus::SourceId;
use crate::error::{Error, Result};
use crate::project::txn::Transaction;
use crate::project::Project;

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
    let target = path(project, coder, CodingFile::Anchored);
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

/// Writes a coder's file atomically, sorted; an empty orphan or rejection file is removed.
pub fn write(project: &Project, coder: &Coder, kind: CodingFile, codings: &mut Vec<Coding>) -> Result<()> {
    let mut tx = Transaction::new(project);
    stage(&mut tx, project, coder, kind, codings);
    tx.commit()
}

/// Adds the writing of a coder's file (sorted; an empty orphan or rejection file is removed) to
/// a transaction.
pub fn stage(tx: &mut Transaction<'_>, project: &Project, coder: &Coder, kind: CodingFile, codings: &mut Vec<Coding>) {
    normalise(codings);
    let path = path(project, coder, kind);
    if codings.is_empty() && kind != CodingFile::Anchored {
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
        coders(project)?.par_iter().map(|coder| read_lines(&path(project, coder, CodingFile::Anchored))).collect::<Result<_>>()?;
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
        for kind in [CodingFile::Anchored, CodingFile::Orphaned, CodingFile::Rejected] {
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
