//! `quire ingest`: read transcripts into the project. Every file is checked before anything is
//! written, so bad input leaves the project as it was.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::Ctx;
use crate::corpus::cases::CaseSheet;
use crate::corpus::transcript;
use crate::corpus::{Source, SourceId};
use crate::error::{Error, Result};
use crate::project::{write_atomic, Project};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transcript files (.txt, .md) or directories (read recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Cases/attributes CSV (columns `source`, optional `speaker`, then attributes).
    #[arg(long, value_name = "FILE")]
    pub cases: Option<PathBuf>,
    /// Replace sources whose content changed (otherwise they are refused).
    #[arg(long)]
    pub replace: bool,
    /// Check everything and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

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
pub fn plan(project: &Project, files: &[PathBuf], cases: Option<&CaseSheet>, replace: bool) -> Result<Vec<(Source, Outcome)>> {
    let mut seen: BTreeMap<SourceId, PathBuf> = BTreeMap::new();
    let mut planned = Vec::new();
    for path in files {
        let bytes = fs::read(path).map_err(|e| Error::io(path, e))?;
        let source = transcript::parse(path, &bytes, project.manifest.language, cases)?;
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
    Ok(planned)
}

/// Checks all files, then writes the new and changed sources (unless `dry_run`). Takes the lock.
pub fn ingest(
    project: &Project,
    files: &[PathBuf],
    cases: Option<&CaseSheet>,
    replace: bool,
    dry_run: bool,
) -> Result<Vec<(Source, Outcome)>> {
    let _lock = project.lock()?;
    let planned = plan(project, files, cases, replace)?;
    if !dry_run {
        for (source, outcome) in &planned {
            if *outcome != Outcome::Unchanged {
                write_atomic(&project.source_path(&source.id), transcript::render(source).as_bytes())?;
            }
        }
    }
    Ok(planned)
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let files = collect_files(&args.paths)?;
    if files.is_empty() {
        return Err(Error::Usage("no transcript files (.txt, .md) found in the given paths".into()));
    }
    let cases = args.cases.as_deref().map(CaseSheet::read).transpose()?;
    let done = ingest(&project, &files, cases.as_ref(), args.replace, args.dry_run)?;
    let mut counts = BTreeMap::new();
    for (source, outcome) in &done {
        let outcome = format!("{outcome:?}").to_lowercase();
        ctx.note(format_args!(
            "{outcome:<9} {}  {} segments, {} respondent(s)",
            source.id,
            source.segments.len(),
            source.respondents().count()
        ));
        *counts.entry(outcome).or_insert(0usize) += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let dry = if args.dry_run { " (dry run: nothing written)" } else { "" };
    ctx.note(format_args!("{} source(s): {}{dry}", done.len(), summary.join(", ")));
    Ok(())
}
