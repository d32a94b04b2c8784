//! The ingest operation: find transcript files, check them all, then write new and changed
//! sources and re-anchor the codings of replaced ones, in one transaction.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::coding::store::{self, CodingFile};
use crate::coding::{anchor, Coding};
use crate::corpus::cases::CaseSheet;
use crate::corpus::labels::Warning;
use crate::corpus::transcript;
use crate::corpus::{Source, SourceId};
use crate::error::{Error, Location, Result};
use crate::progress::Progress;
use crate::project::txn::Transaction;
use crate::project::Project;

/// What ingest did with one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Added,
    Replaced,
    Unchanged,
}

fn is_transcript(path: &Path) -> bool {
    matches!(path.extension().and_then(|e| e.to_str()), Some("txt" | "md"))
}

/// What a file that quire does not read is, by its extension: `Some` for a document format
/// (a transcript saved as Word, OpenDocument, RTF or PDF).
fn document_kind(path: &Path) -> Option<&'static str> {
    let ext = path.extension().and_then(|e| e.to_str())?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "docx" | "doc" => "a Word file",
        "odt" => "an OpenDocument text file",
        "rtf" => "an RTF file",
        "pdf" => "a PDF file",
        _ => return None,
    })
}

/// Why a document file is not read, and what to do instead.
fn not_read(kind: &str) -> String {
    format!("{kind}: quire does not read it yet; save it as plain text (.txt, UTF-8) and ingest that")
}

/// The files to read, and a warning for each file in the given folders that is not read.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<Warning>,
}

/// Expands directories into their transcript files (sorted, hidden entries skipped).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    collect_inputs(paths).map(|inputs| inputs.files)
}

/// Expands directories into their transcript files (sorted, hidden entries skipped), listing
/// the other files found there; a document named directly (`.docx`, ...) is refused.
pub fn collect_inputs(paths: &[PathBuf]) -> Result<Inputs> {
    fn walk(dir: &Path, out: &mut Inputs) -> Result<()> {
        // In a quire project only `sources/` holds transcripts (not lists, memos or codings).
        if dir.join(crate::project::MANIFEST).is_file() {
            let sources = dir.join(crate::project::SOURCES_DIR);
            return if sources.is_dir() { walk(&sources, out) } else { Ok(()) };
        }
        let mut entries: Vec<PathBuf> = fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .map(|e| e.map(|e| e.path()).map_err(|err| Error::io(dir, err)))
            .collect::<Result<_>>()?;
        entries.sort();
        for path in entries {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, out)?;
            } else if is_transcript(&path) {
                out.files.push(path);
            } else if name != crate::project::SUMS_FILE || !dir.ends_with(crate::project::SOURCES_DIR) {
                let message = match document_kind(&path) {
                    Some(kind) => format!("skipped, {}", not_read(kind)),
                    None => "skipped: not a transcript (.txt, .md)".to_string(),
                };
                out.skipped.push(Warning { location: Location::file(&path), message });
            }
        }
        Ok(())
    }
    let mut inputs = Inputs::default();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut inputs)?;
        } else if let Some(kind) = document_kind(path) {
            return Err(Error::invalid(Location::file(path), not_read(kind)));
        } else if path.exists() {
            inputs.files.push(path.clone());
        } else {
            return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory")));
        }
    }
    Ok(inputs)
}

/// Each source read, with what ingest will do with it.
pub type Planned = Vec<(Source, Outcome)>;

/// Parses and checks every file, then decides per source what to write, with the warnings of
/// each file (see [`transcript::parse_warning`]). Writes nothing.
pub fn plan(
    project: &Project,
    files: &[PathBuf],
    cases: Option<&CaseSheet>,
    replace: bool,
    progress: &dyn Progress,
) -> Result<(Planned, Vec<Warning>)> {
    use rayon::prelude::*;
    // Parse in parallel; report the first bad file in the order given.
    progress.begin("checking transcripts", files.len() as u64);
    let parsed: Vec<Result<(Source, Vec<Warning>)>> = files
        .par_iter()
        .map(|path| {
            let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
            let source = transcript::parse_warning(path, &bytes, project.manifest.language, cases);
            progress.advance(1);
            source
        })
        .collect();
    progress.end();
    let mut seen: BTreeMap<SourceId, PathBuf> = BTreeMap::new();
    let mut planned = Vec::new();
    let mut warnings = Vec::new();
    for (path, parsed) in files.iter().zip(parsed) {
        let (source, mut found) = parsed?;
        warnings.append(&mut found);
        if let Some(first) = seen.get(&source.id) {
            return Err(Error::DuplicateSource { id: source.id.to_string(), first: first.clone(), second: path.clone() });
        }
        seen.insert(source.id.clone(), path.clone());
        let stored = project.source_path(&source.id);
        let outcome = match fs::read(&stored) {
            Ok(existing) if existing == transcript::render(&source).as_bytes() => Outcome::Unchanged,
            Ok(_) if replace => Outcome::Replaced,
            Ok(_) => return Err(Error::SourceChanged { id: source.id.to_string(), existing: stored, new: path.clone() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Outcome::Added,
            Err(e) => return Err(Error::io(&stored, e)),
        };
        planned.push((source, outcome));
    }
    if let Some(sheet) = cases {
        sheet.check_sources(|id| SourceId::parse(id).is_ok_and(|id| seen.contains_key(&id) || project.source_path(&id).exists()))?;
    }
    Ok((planned, warnings))
}

/// What an ingest did: each source with its outcome, codings orphaned by replaced sources, and
/// warnings about what was read but may be misread (see [`transcript::parse_warning`]).
#[derive(Debug, Default)]
pub struct Ingested {
    pub sources: Vec<(Source, Outcome)>,
    pub warnings: Vec<Warning>,
    pub reanchored: usize,
    /// Codings whose text is gone from their replaced source (now in the orphan file).
    pub orphaned: Vec<Coding>,
    /// Codings whose text is still there, but no longer a respondent's (now in the orphan file).
    pub off_respondent: Vec<Coding>,
}

/// Checks all files, then writes the new and changed sources (unless `dry_run`), re-anchoring
/// the codings of replaced sources by their text. Takes the lock.
pub fn ingest(
    project: &Project,
    files: &[PathBuf],
    cases: Option<&CaseSheet>,
    replace: bool,
    dry_run: bool,
    progress: &dyn Progress,
) -> Result<Ingested> {
    let _lock = project.lock()?;
    let (planned, warnings) = plan(project, files, cases, replace, progress)?;
    let mut report = Ingested { warnings, ..Ingested::default() };
    if !dry_run && planned.iter().any(|(_, o)| *o != Outcome::Unchanged) {
        // Sources, their hashes and re-anchored codings change together or not at all.
        let mut tx = Transaction::new(project);
        let replaced: BTreeMap<&SourceId, &Source> = planned.iter().filter(|(_, o)| *o == Outcome::Replaced).map(|(s, _)| (&s.id, s)).collect();
        if !replaced.is_empty() {
            reanchor(&mut tx, project, &replaced, &mut report)?;
        }
        project.stage_sources(
            &mut tx,
            planned.iter().map(|(source, outcome)| (source.id.to_string(), transcript::render(source).into_bytes(), *outcome != Outcome::Unchanged)),
        )?;
        tx.commit()?;
    }
    report.sources = planned;
    Ok(report)
}

/// Moves every coder's codings of the replaced sources to where their text now is; those whose
/// text is gone, or is now no respondent's, go to the coder's orphan file (and orphans whose text
/// is back on respondent text return).
fn reanchor(tx: &mut Transaction<'_>, project: &Project, sources: &BTreeMap<&SourceId, &Source>, report: &mut Ingested) -> Result<()> {
    for coder in store::coders(project)? {
        let mut anchored = Vec::new();
        let mut orphans = Vec::new();
        let mut affected: BTreeMap<SourceId, Vec<Coding>> = BTreeMap::new();
        for (kind, keep) in [(CodingFile::Anchored, &mut anchored), (CodingFile::Orphaned, &mut orphans)] {
            for c in store::read(&store::path(project, &coder, kind))? {
                if sources.contains_key(&c.source) {
                    affected.entry(c.source.clone()).or_default().push(c);
                } else {
                    keep.push(c);
                }
            }
        }
        for (id, codings) in affected {
            let source = sources[&id];
            let (found, lost) = anchor::reanchor(codings, &source.body);
            let (found, off): (Vec<Coding>, Vec<Coding>) = found.into_iter().partition(|c| source.on_respondent_text(c.start, c.end));
            report.reanchored += found.len();
            report.orphaned.extend(lost.iter().cloned());
            report.off_respondent.extend(off.iter().cloned());
            anchored.extend(found);
            orphans.extend(lost);
            orphans.extend(off);
        }
        store::stage(tx, project, &coder, CodingFile::Anchored, &mut anchored);
        store::stage(tx, project, &coder, CodingFile::Orphaned, &mut orphans);
    }
    Ok(())
}

/// `--strict`: the first likely identifier in any file stops the ingest, with its line and column.
pub fn refuse_identifiers(project: &Project, files: &[PathBuf]) -> Result<()> {
    let lists = crate::anonymise::Lists::read(project.root())?;
    for path in files {
        let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = transcript::decode(path, &bytes)?;
        let found = crate::anonymise::scan(&text, &lists);
        if let Some(first) = found.first() {
            let (line, column) = crate::anonymise::line_col(&text, first.start);
            return Err(Error::refused_at(
                crate::error::Location::line(path, line),
                format!(
                    "column {column}: likely identifier ({}) `{}`, {} in this file; anonymise it or list it in {} (--strict)",
                    first.kind,
                    first.text,
                    found.len(),
                    crate::anonymise::ALLOW_FILE
                ),
            ));
        }
    }
    Ok(())
}
