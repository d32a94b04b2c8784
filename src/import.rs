//! The import operation: a new project from a REFI-QDA project file (`.qdpx`), read by
//! `refi::import`, built in a folder beside its target and renamed into place; and the lines
//! that tell the user how the file was read.

use std::collections::BTreeMap;
use std::path::Path;

use crate::coding::store::{self, CodingFile};
use crate::corpus::{transcript, Language};
use crate::error::{Error, Result};
use crate::project::txn::Transaction;
use crate::project::{Manifest, Project, MANIFEST};
use crate::refi::import::{self, Imported, Options, Report};

/// Imports `file` as a new project at `into`, which must not exist or be an empty directory.
/// `language` is the project's language; without it, the most common language of the imported
/// sources (ties: the first in order; no sources: `options.language`). With `dry_run` the file is
/// read and checked as for an import, and nothing is written.
pub fn qdpx(file: &Path, into: &Path, options: &Options, language: Option<Language>, dry_run: bool) -> Result<Imported> {
    check_target(into)?;
    let imported = import::read(file, options)?;
    let language = language.unwrap_or_else(|| most_common_language(&imported, options.language));
    if !dry_run {
        write_project(into, &imported, language)?;
    }
    Ok(imported)
}

/// Refuses a target that is a project, a file or a non-empty directory.
fn check_target(into: &Path) -> Result<()> {
    if into.join(MANIFEST).exists() {
        return Err(Error::ProjectExists { path: into.to_path_buf() });
    }
    if into.exists() && !into.is_dir() {
        return Err(Error::refused(format!("{}: is a file, not a directory; import into a new directory", into.display())));
    }
    if into.exists() && std::fs::read_dir(into).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Error::refused(format!("{}: exists and is not empty; import into a new directory", into.display())));
    }
    Ok(())
}

/// The language most of the imported sources are in (`default` if there are none).
fn most_common_language(imported: &Imported, default: Language) -> Language {
    let mut counts: BTreeMap<Language, usize> = BTreeMap::new();
    for s in &imported.sources {
        *counts.entry(s.language).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(l, n)| (*n, std::cmp::Reverse(*l))).map(|(l, _)| l).unwrap_or(default)
}

/// Writes what was imported as a new project at `dir`: built in a temporary directory beside it,
/// then renamed, so `dir` appears complete or not at all.
pub fn write_project(dir: &Path, imported: &Imported, language: Language) -> Result<()> {
    let coder = imported.coders.first().cloned().unwrap_or_else(|| "me".parse().expect("valid coder"));
    let manifest = || Manifest::new(&imported.name, language, coder.clone());
    let codebook_json = imported.codebook.checked_json(&dir.join("codebook.json"))?;
    crate::staging::create_project(dir, ".quire-import-", manifest, codebook_json.as_bytes(), |project| fill(project, imported))
}

/// Writes the imported sources, their sums and every coder's codings into the new `project`.
fn fill(project: &Project, imported: &Imported) -> Result<()> {
    let mut tx = Transaction::new(project);
    project.stage_sources(&mut tx, imported.sources.iter().map(|s| (s.id.to_string(), transcript::render(s).into_bytes(), true)))?;
    tx.commit()?;
    for coder in &imported.coders {
        let mut mine: Vec<_> = imported.codings.iter().filter(|c| &c.coder == coder).cloned().collect();
        store::write(project, coder, CodingFile::Anchored, &mut mine)?;
    }
    // Check the project reads back before it takes its place.
    project.load_sources()?;
    Ok(())
}

/// The import's messages, one a line: units, landing, defaults, warnings (`import qdpx`, and
/// `merge` of a .qdpx input).
pub fn notes(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    let origin = report.origin.as_deref().unwrap_or("none");
    match (report.units, report.switched) {
        (Some(units), Some(before)) => lines.push(format!(
            "positions read as {units}, where every selection lands: read as {} (detected from origin `{origin}`), {} of {} did not",
            before.units, before.fails, before.selections
        )),
        (Some(units), None) => {
            let how = if report.detected { "detected from" } else { "as told; the file says" };
            lines.push(format!("positions read as {units} ({how} origin `{origin}`)"));
        }
        (None, _) => {}
    }
    let counts = report.miss_counts();
    let kinds: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    lines.push(format!(
        "selections: {}, landing on text: {}, not landing: {}{}",
        report.selections,
        report.landed(),
        report.misses.len(),
        if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) }
    ));
    for m in report.misses.iter().take(10) {
        let text: String = m.text.chars().take(60).collect::<String>().replace('\n', "⏎");
        lines.push(format!("  not landing: {} selection {}: {}: \"{text}\"", m.source, m.selection, m.problem));
    }
    if report.misses.len() > 10 {
        lines.push(format!("  ... and {} more", report.misses.len() - 10));
    }
    if report.without_codings > 0 {
        lines.push(format!("{} selection(s) carry no coding and were skipped", report.without_codings));
    }
    if report.default_roles + report.default_countries > 0 {
        lines.push(format!(
            "defaults used: role for {} respondent(s), country for {} source(s) (no case or source variable named them; see --role, --country)",
            report.default_roles, report.default_countries
        ));
    }
    for w in &report.warnings {
        lines.push(format!("warning: {w}"));
    }
    lines
}
