//! The coding files: `codings/<coder>.csv` (`source,start,end,code,coder,created,text`, sorted)
//! and `codings/<coder>.orphaned.csv` for codings whose text could not be re-anchored.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Coder, Coding};
use crate::codebook::CodePath;
use crate::corpus::SourceId;
use crate::error::{Error, Location, Result};
use crate::project::{Project, CODINGS_DIR};
use crate::txn::Transaction;

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
        let name = entry.map_err(|e| Error::io(&dir, e))?.file_name().to_string_lossy().into_owned();
        let stem = name.strip_suffix(ORPHANED).or_else(|| name.strip_suffix(".csv"));
        if let Some(coder) = stem.and_then(|s| s.parse::<Coder>().ok()) {
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
    read_file(path, true)
}

/// Reads a coding file, streaming it; without `texts` each coding's text is left empty (for
/// counting, where the texts of millions of codings would only cost memory).
fn read_file(path: &Path, texts: bool) -> Result<Vec<(usize, Coding)>> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut reader = csv::ReaderBuilder::new().from_reader(std::io::BufReader::new(file));
    let at = |line: Option<u64>| Location { path: path.to_path_buf(), line: line.map(|l| l as usize) };
    let headers = reader.headers().map_err(|e| Error::invalid(at(Some(1)), format!("malformed CSV: {e}")))?;
    let columns: Vec<&str> = headers.iter().collect();
    let with_origin = columns.len() == HEADER.len() + 1 && columns.last() == Some(&ORIGIN);
    if columns[..columns.len().min(HEADER.len())] != HEADER || !(columns.len() == HEADER.len() || with_origin) {
        return Err(Error::invalid(at(Some(1)), format!("expected the header `{}` (and optionally `{ORIGIN}`)", HEADER.join(","))));
    }
    let mut codings = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::invalid(at(e.position().map(|p| p.line())), format!("malformed CSV: {e}")))?;
        let line = record.position().map(|p| p.line());
        let bad = |what: String| Error::invalid(at(line), what);
        let number = |i: usize| record[i].parse::<usize>().map_err(|_| bad(format!("`{}` is not a character offset", &record[i])));
        let coding = Coding {
            source: SourceId::parse(&record[0]).map_err(bad)?,
            start: number(1)?,
            end: number(2)?,
            code: CodePath::parse(&record[3]).map_err(bad)?,
            coder: record[4].parse().map_err(bad)?,
            created: record[5].to_string(),
            text: if texts { record[6].to_string() } else { String::new() },
            origin: with_origin.then(|| record[7].to_string()).filter(|o| !o.is_empty()),
        };
        if coding.start >= coding.end {
            return Err(bad(format!("empty or reversed span {}..{}", coding.start, coding.end)));
        }
        codings.push((line.unwrap_or(0) as usize, coding));
    }
    Ok(codings)
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
        Row { source: &c.source, start: c.start, end: c.end, code: &c.code, coder: &c.coder, created: &c.created, text: &c.text, origin: c.origin.as_deref() }
    }

    /// The order of a coding file (as [`Coding::key`]).
    pub fn key(&self) -> (&'a SourceId, usize, usize, &'a CodePath, &'a Coder) {
        (self.source, self.start, self.end, self.code, self.coder)
    }
}

/// Writes a coding file's header and `rows`, in the order given.
pub fn write_rows<'a, W: std::io::Write>(out: W, with_origin: bool, rows: impl IntoIterator<Item = Row<'a>>) -> std::io::Result<()> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
    let mut header = HEADER.to_vec();
    if with_origin {
        header.push(ORIGIN);
    }
    w.write_record(&header)?;
    let mut field = String::new();
    for r in rows {
        use std::fmt::Write as _;
        w.write_field(r.source.as_str())?;
        for n in [r.start, r.end] {
            field.clear();
            let _ = write!(field, "{n}");
            w.write_field(&field)?;
        }
        field.clear();
        let _ = write!(field, "{}", r.code);
        w.write_field(&field)?;
        w.write_field(r.coder.as_str())?;
        w.write_field(r.created)?;
        w.write_field(r.text)?;
        if with_origin {
            w.write_field(r.origin.unwrap_or(""))?;
        }
        w.write_record(None::<&[u8]>)?;
    }
    w.flush()?;
    Ok(())
}

pub fn to_csv(codings: &[Coding]) -> Vec<u8> {
    let with_origin = codings.iter().any(|c| c.origin.is_some());
    let mut out = Vec::new();
    write_rows(&mut out, with_origin, codings.iter().map(Row::of)).expect("writing to memory");
    out
}

/// Stages a coder's file holding `existing` codings and `new` ones, streamed to disk rather
/// than built in memory. Both are sorted here; a new coding whose key is already there is
/// dropped (the earlier one is kept, as [`normalise`] does). Returns how many new ones were kept.
pub fn stage_merged<'a>(
    tx: &mut Transaction<'_>,
    project: &Project,
    coder: &Coder,
    existing: &'a mut Vec<Coding>,
    mut new: Vec<Row<'a>>,
) -> Result<usize> {
    normalise(existing);
    new.sort_by(|a, b| a.key().cmp(&b.key()));
    new.dedup_by(|later, first| later.key() == first.key());
    let with_origin = existing.iter().any(|c| c.origin.is_some()) || new.iter().any(|r| r.origin.is_some());
    let mut added = 0;
    let existing: &'a [Coding] = existing;
    let merged = MergeRows { old: existing.iter().map(Row::of).peekable(), new: new.into_iter().peekable(), added: &mut added };
    tx.write_with(path(project, coder, Kind::Anchored), |w| write_rows(w, with_origin, merged))?;
    Ok(added)
}

/// Two sorted row streams as one, without the new rows whose key an old row has.
struct MergeRows<'a, 'n, O: Iterator<Item = Row<'a>>, N: Iterator<Item = Row<'a>>> {
    old: std::iter::Peekable<O>,
    new: std::iter::Peekable<N>,
    added: &'n mut usize,
}

impl<'a, O: Iterator<Item = Row<'a>>, N: Iterator<Item = Row<'a>>> Iterator for MergeRows<'a, '_, O, N> {
    type Item = Row<'a>;

    fn next(&mut self) -> Option<Row<'a>> {
        use std::cmp::Ordering;
        let order = match (self.old.peek(), self.new.peek()) {
            (None, None) => return None,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(o), Some(n)) => o.key().cmp(&n.key()),
        };
        match order {
            Ordering::Less => self.old.next(),
            Ordering::Equal => {
                self.new.next();
                self.old.next()
            }
            Ordering::Greater => {
                *self.added += 1;
                self.new.next()
            }
        }
    }
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

/// Every anchored coding of every coder.
pub fn read_all(project: &Project) -> Result<Vec<Coding>> {
    read_every(project, true)
}

/// Every anchored coding of every coder, without their texts (for tables and the index).
pub fn read_all_spans(project: &Project) -> Result<Vec<Coding>> {
    read_every(project, false)
}

fn read_every(project: &Project, texts: bool) -> Result<Vec<Coding>> {
    let mut all = Vec::new();
    for coder in coders(project)? {
        all.extend(read_file(&path(project, &coder, Kind::Anchored), texts)?.into_iter().map(|(_, c)| c));
    }
    Ok(all)
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
