//! Writing a merge: into an existing project under its lock, or as a new project built beside
//! its target and renamed into place; sources, sums, codings, codebook and report in one
//! transaction.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{merge, read_mapping, report_md, Input, MapRow, Merged};
use crate::codebook::Codebook;
use crate::coding::store::{self, Kind};
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
}

/// Merges `inputs` into the existing project at `dir` and returns the merge report. The target
/// is read under its writer lock, held until the merge is written: a write made meanwhile by
/// another process is either in what is read or waits for the merge.
pub fn into_existing(dir: &Path, inputs: &[(PathBuf, Input)], options: &Options) -> Result<String> {
    let project = Project::open(dir)?;
    let _lock = project.lock()?;
    let codebook = match &options.codebook {
        Some(f) => Codebook::load(f)?,
        None => Codebook::load(&project.codebook_path())?,
    };
    let sources = project.load_sources()?.iter().map(|s| (s.id.to_string(), crate::corpus::transcript::render(s).into_bytes())).collect();
    let mut codings: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for c in store::read_all(&project)? {
        codings.entry(c.coder.clone()).or_default().push(c);
    }
    let (merged, report) = merge_with(
        with_mapping(options, inputs, Merged { codebook, sources, codings, reports: Vec::new(), kinds: project.manifest.coders.clone() })?,
        inputs,
        options,
    )?;
    crate::failpoint::hit("merge-before-write");
    write_all(&project, &merged, &report)?;
    Ok(report)
}

/// Merges `inputs` into a new project at `dir` and returns the merge report. The project is
/// built beside `dir`, then renamed: `dir` appears complete or not at all.
pub fn into_new(dir: &Path, inputs: &[(PathBuf, Input)], options: &Options) -> Result<String> {
    let codebook = match &options.codebook {
        Some(f) => Codebook::load(f)?,
        None => inputs[0].1.codebook.clone(),
    };
    let base = Merged { codebook, sources: BTreeMap::new(), codings: BTreeMap::new(), reports: Vec::new(), kinds: Default::default() };
    let (merged, report) = merge_with(with_mapping(options, inputs, base)?, inputs, options)?;
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "merged".into());
    let manifest = || Manifest::new(&name, Language::English, "merge".parse().expect("valid coder"));
    let codebook_json = merged.codebook.checked_json(&dir.join("codebook.json"))?;
    crate::staging::create_project(dir, ".quire-merge-", manifest, codebook_json.as_bytes(), |project| {
        let _lock = project.lock()?;
        write_all(project, &merged, &report)
    })?;
    Ok(report)
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
        store::stage(&mut tx, project, coder, Kind::Anchored, &mut codings);
    }
    tx.write(project.codebook_path(), merged.codebook.checked_json(&project.codebook_path())?.into_bytes());
    tx.write(project.root().join(REPORT), report.as_bytes().to_vec());
    if merged.kinds != project.manifest.coders {
        tx.write_manifest(&Manifest { coders: merged.kinds.clone(), ..project.manifest.clone() });
    }
    tx.commit()
}
