//! The ingest operation: find transcript files, check them all, then write new and changed
//! sources and re-anchor the codings of replaced ones, in one transaction.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::coding::store::{self, Kind};
use crate::coding::{anchor, Coding};
use crate::corpus::cases::CaseSheet;
use crate::corpus::transcript;
use crate::corpus::{Source, SourceId};
use crate::error::{Error, Result};
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

/// Expands directories into their transcript files (sorted, hidden entries skipped).
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
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
            if path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
                continue;
            }
            if path.is_dir() {
                walk(&path, out)?;
            } else if is_transcript(&path) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut files)?;
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Error::io(path, std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or directory")));
        }
    }
    Ok(files)
}

/// Parses and checks every file, then decides per source what to write. Writes nothing.
pub fn plan(
    project: &Project,
    files: &[PathBuf],
    cases: Option<&CaseSheet>,
    replace: bool,
    progress: &dyn Progress,
) -> Result<Vec<(Source, Outcome)>> {
    use rayon::prelude::*;
    // Parse in parallel; report the first bad file in the order given.
    progress.begin("checking transcripts", files.len() as u64);
    let parsed: Vec<Result<Source>> = files
        .par_iter()
        .map(|path| {
            let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
            let source = transcript::parse(path, &bytes, project.manifest.language, cases);
            progress.advance(1);
            source
        })
        .collect();
    progress.end();
    let mut seen: BTreeMap<SourceId, PathBuf> = BTreeMap::new();
    let mut planned = Vec::new();
    for (path, source) in files.iter().zip(parsed) {
        let source = source?;
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
    Ok(planned)
}

/// What an ingest did: each source with its outcome, and codings orphaned by replaced sources.
#[derive(Debug, Default)]
pub struct Report {
    pub sources: Vec<(Source, Outcome)>,
    pub reanchored: usize,
    pub orphaned: Vec<Coding>,
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
) -> Result<Report> {
    let _lock = project.lock()?;
    let planned = plan(project, files, cases, replace, progress)?;
    let mut report = Report::default();
    if !dry_run && planned.iter().any(|(_, o)| *o != Outcome::Unchanged) {
        // Sources, their hashes and re-anchored codings change together or not at all.
        let mut tx = Transaction::new(project);
        let replaced: BTreeMap<&SourceId, &str> =
            planned.iter().filter(|(_, o)| *o == Outcome::Replaced).map(|(s, _)| (&s.id, s.body.as_str())).collect();
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
/// text is gone go to the coder's orphan file (and orphans whose text is back return).
fn reanchor(tx: &mut Transaction<'_>, project: &Project, bodies: &BTreeMap<&SourceId, &str>, report: &mut Report) -> Result<()> {
    for coder in store::coders(project)? {
        let mut anchored = Vec::new();
        let mut orphans = Vec::new();
        let mut affected: BTreeMap<SourceId, Vec<Coding>> = BTreeMap::new();
        for (kind, keep) in [(Kind::Anchored, &mut anchored), (Kind::Orphaned, &mut orphans)] {
            for c in store::read(&store::path(project, &coder, kind))? {
                if bodies.contains_key(&c.source) {
                    affected.entry(c.source.clone()).or_default().push(c);
                } else {
                    keep.push(c);
                }
            }
        }
        for (id, codings) in affected {
            let (found, lost) = anchor::reanchor(codings, bodies[&id]);
            report.reanchored += found.len();
            report.orphaned.extend(lost.iter().cloned());
            anchored.extend(found);
            orphans.extend(lost);
        }
        store::stage(tx, project, &coder, Kind::Anchored, &mut anchored);
        store::stage(tx, project, &coder, Kind::Orphaned, &mut orphans);
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
