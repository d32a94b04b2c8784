//! Writing a merge: into an existing project under its lock, or as a new project built beside
//! its target and renamed into place; sources, sums, codings, codebook and report in one
//! transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{merge, read_mapping, report_md, Input, MapRow, Merged};
use crate::codebook::Codebook;
use crate::coding::store::{self, CodingFile};
use crate::coding::{Coder, Coding};
use crate::corpus::Language;
use crate::error::{Error, Result};
use crate::project::txn::Transaction;
use crate::project::{Manifest, Project};

/// The merge report's file name in the merged project.
pub const REPORT: &str = "merge-report.md";

/// How to merge, besides the inputs.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Codebook of the merged project (default: the target's, else the first input's).
    pub codebook: Option<PathBuf>,
    /// CSV `project,from,to` aligning codes.
    pub map: Option<PathBuf>,
    /// Merge even if the inputs' codebooks differ from the merged codebook.
    pub allow_drift: bool,
    /// Build the merge in memory and return what it would change; write nothing.
    pub dry_run: bool,
}

/// A merge's report, and with `dry_run` the lines saying what it would change (else empty).
#[derive(Debug)]
pub struct Outcome {
    pub report: String,
    pub preview: Vec<String>,
}

/// Merges `inputs` into the existing project at `dir` and returns the merge report. The target
/// is read under its writer lock, held until the merge is written: a write made meanwhile by
/// another process is either in what is read or waits for the merge.
pub fn into_existing(dir: &Path, inputs: &[(PathBuf, Input)], options: &Options) -> Result<Outcome> {
    let project = Project::open(dir)?;
    let _lock = project.lock()?;
    let codebook = match &options.codebook {
        Some(f) => Codebook::load(f)?,
        None => Codebook::load(&project.codebook_path())?,
    };
    let sources: BTreeMap<String, Vec<u8>> =
        project.load_sources()?.iter().map(|s| (s.id.to_string(), crate::corpus::transcript::render(s).into_bytes())).collect();
    let mut codings: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for c in store::read_all(&project)? {
        codings.entry(c.coder.clone()).or_default().push(c);
    }
    let before = options.dry_run.then(|| (codebook.clone(), sources.clone(), codings.clone()));
    let base = Merged { codebook, sources, codings, reports: Vec::new(), kinds: project.manifest.coders.clone() };
    let (merged, report) = merge_with(with_mapping(options, inputs, base)?, inputs, options)?;
    if let Some(before) = before {
        return Ok(Outcome { preview: preview(&before, &merged), report });
    }
    crate::failpoint::hit("merge-before-write");
    write_all(&project, &merged, &report)?;
    Ok(Outcome { report, preview: Vec::new() })
}

type Before = (Codebook, BTreeMap<String, Vec<u8>>, BTreeMap<Coder, Vec<Coding>>);

/// What writing `merged` over `before` (codebook, sources, codings per coder) would change.
fn preview((codebook, sources, codings): &Before, merged: &Merged) -> Vec<String> {
    let new = merged.sources.keys().filter(|id| !sources.contains_key(*id)).count();
    let changed = merged.sources.iter().filter(|(id, bytes)| sources.get(*id).is_some_and(|b| b != *bytes)).count();
    let mut lines = vec![format!("sources: {new} new, {changed} changed, {} unchanged", merged.sources.len() - new - changed)];
    let coders: BTreeSet<&Coder> = codings.keys().chain(merged.codings.keys()).collect();
    for coder in coders {
        let keys = |cs: Option<&Vec<Coding>>| -> BTreeSet<_> {
            cs.map(|cs| cs.iter().map(|c| (c.source.clone(), c.start, c.end, c.code.clone())).collect()).unwrap_or_default()
        };
        let (old, now) = (keys(codings.get(coder)), keys(merged.codings.get(coder)));
        lines.push(format!(
            "codings of {coder}: {} added, {} removed, {} after the merge",
            now.difference(&old).count(),
            old.difference(&now).count(),
            now.len()
        ));
    }
    lines.push(format!("codebook: {}", if *codebook == merged.codebook { "unchanged" } else { "changed" }));
    lines.push(format!("{REPORT}: rewritten"));
    lines
}

/// Merges `inputs` into a new project at `dir` and returns the merge report. The project is
/// built beside `dir`, then renamed: `dir` appears complete or not at all.
pub fn into_new(dir: &Path, inputs: &[(PathBuf, Input)], options: &Options) -> Result<Outcome> {
    let codebook = match &options.codebook {
        Some(f) => Codebook::load(f)?,
        None => inputs[0].1.codebook.clone(),
    };
    let base = Merged { codebook, sources: BTreeMap::new(), codings: BTreeMap::new(), reports: Vec::new(), kinds: Default::default() };
    let before = options.dry_run.then(|| (base.codebook.clone(), BTreeMap::new(), BTreeMap::new()));
    let (merged, report) = merge_with(with_mapping(options, inputs, base)?, inputs, options)?;
    if let Some(before) = before {
        let mut lines = vec![format!("{}: a new project", dir.display())];
        lines.extend(preview(&before, &merged).into_iter().filter(|l| !l.starts_with("codebook")));
        return Ok(Outcome { preview: lines, report });
    }
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "merged".into());
    let manifest = || Manifest::new(&name, Language::English, "merge".parse().expect("valid coder"));
    let codebook_json = merged.codebook.checked_json(&dir.join("codebook.json"))?;
    crate::staging::create_project(dir, ".quire-merge-", manifest, codebook_json.as_bytes(), |project| {
        let _lock = project.lock()?;
        write_all(project, &merged, &report)
    })?;
    Ok(Outcome { report, preview: Vec::new() })
}

/// The base with the mapping file read against its codebook; every row's project must be one
/// of the inputs.
fn with_mapping(options: &Options, inputs: &[(PathBuf, Input)], base: Merged) -> Result<(Merged, Vec<MapRow>)> {
    let Some(f) = &options.map else { return Ok((base, Vec::new())) };
    let mapping = read_mapping(f, &base.codebook)?;
    for row in &mapping {
        if let Some(p) = &row.project {
            if !inputs.iter().any(|(_, i)| &i.name == p) {
                let names: Vec<&str> = inputs.iter().map(|(_, i)| i.name.as_str()).collect();
                return Err(Error::invalid(
                    crate::error::Location::line(f, row.line),
                    format!("`project`: no input is named `{p}` (the inputs are {})", names.join(", ")),
                ));
            }
        }
    }
    Ok((base, mapping))
}

fn merge_with((base, mapping): (Merged, Vec<MapRow>), inputs: &[(PathBuf, Input)], options: &Options) -> Result<(Merged, String)> {
    let merged = merge(base, inputs, &mapping, options.allow_drift)?;
    let report = report_md(&merged);
    Ok((merged, report))
}

/// Writes the merged project's files in one transaction.
pub fn write_all(project: &Project, merged: &Merged, report: &str) -> Result<()> {
    let mut tx = Transaction::new(project);
    // A source already there with the same bytes is not rewritten.
    let unchanged = |id: &str, bytes: &[u8]| std::fs::read(project.sources_dir().join(format!("{id}.txt"))).ok().as_deref() == Some(bytes);
    project.stage_sources(&mut tx, merged.sources.iter().map(|(id, bytes)| (id.clone(), bytes.clone(), !unchanged(id, bytes))))?;
    for (coder, codings) in &merged.codings {
        let mut codings = codings.clone();
        store::stage(&mut tx, project, coder, CodingFile::Anchored, &mut codings);
    }
    tx.write(project.codebook_path(), merged.codebook.checked_json(&project.codebook_path())?.into_bytes());
    tx.write(project.root().join(REPORT), report.as_bytes().to_vec());
    if merged.kinds != project.manifest.coders {
        tx.write_manifest(&Manifest { coders: merged.kinds.clone(), ..project.manifest.clone() });
    }
    tx.commit()
}
