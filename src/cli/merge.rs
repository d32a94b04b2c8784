//! `quire merge`: combine per-country projects into one project with a merge report.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Ctx;
use crate::codebook::Codebook;
use crate::coding::store::{self, Kind};
use crate::corpus::Language;
use crate::error::{Error, Result};
use crate::merge::{self, Input, Merged};
use crate::project::{sha256_hex, sums_bytes, Manifest, Project, MANIFEST};
use crate::txn::Transaction;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input project directories, or REFI-QDA project files (.qdpx, read with the defaults of
    /// `quire import qdpx`).
    #[arg(required = true, value_name = "DIR|FILE.qdpx")]
    pub inputs: Vec<PathBuf>,
    /// The merged project (created, or added to if it exists).
    #[arg(long, value_name = "OUT")]
    pub into: PathBuf,
    /// Codebook of the merged project (default: the existing one in OUT, else the first input's).
    #[arg(long, value_name = "FILE")]
    pub codebook: Option<PathBuf>,
    /// CSV `project,from,to` aligning codes a team renamed or wrote in its own language.
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    /// Merge even if the inputs' codebooks differ from the merged codebook.
    #[arg(long)]
    pub allow_drift: bool,
}

pub const REPORT: &str = "merge-report.md";

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let mut inputs: Vec<(PathBuf, Input)> = Vec::new();
    for d in &args.inputs {
        if merge::is_qdpx(d) {
            let imported = crate::refi::import::read(d, &crate::refi::import::Options::default())?;
            ctx.note(format_args!("{}: {} sources, {} codings", d.display(), imported.sources.len(), imported.codings.len()));
            super::import::notes(&imported.report, ctx);
            inputs.push((d.clone(), imported.into_input()));
        } else {
            inputs.push((d.clone(), Input::read(d)?));
        }
    }
    let existing = args.into.join(MANIFEST).is_file();
    let (project, base) = if existing {
        let project = Project::open(&args.into)?;
        let codebook = match &args.codebook {
            Some(f) => Codebook::load(f)?,
            None => Codebook::load(&project.codebook_path())?,
        };
        let sources = project.load_sources()?.iter().map(|s| (s.id.to_string(), crate::corpus::transcript::render(s).into_bytes())).collect();
        let mut codings: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for c in store::read_all(&project)? {
            codings.entry(c.coder.clone()).or_default().push(c);
        }
        (Some(project), Merged { codebook, sources, codings, reports: Vec::new() })
    } else {
        let codebook = match &args.codebook {
            Some(f) => Codebook::load(f)?,
            None => inputs[0].1.codebook.clone(),
        };
        (None, Merged { codebook, sources: BTreeMap::new(), codings: BTreeMap::new(), reports: Vec::new() })
    };
    let mapping = match &args.map {
        Some(f) => merge::read_mapping(f, &base.codebook)?,
        None => Vec::new(),
    };
    let merged = merge::merge(base, &inputs, &mapping, args.allow_drift)?;
    let report = merge::report_md(&merged);
    match project {
        Some(project) => {
            let _lock = project.lock()?;
            write_all(&project, &merged, &report)?;
        }
        None => {
            // Build beside OUT, then rename: OUT appears complete or not at all.
            let parent = std::path::absolute(&args.into).map_err(|e| Error::io(&args.into, e))?;
            let parent = parent.parent().map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
            std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
            let tmp = tempfile::Builder::new().prefix(".quire-merge-").tempdir_in(&parent).map_err(|e| Error::io(&parent, e))?;
            let name = args.into.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "merged".into());
            let project = Project::init(tmp.path(), Manifest::new(&name, Language::English, "merge"), merged.codebook.to_json().as_bytes())?;
            write_all(&project, &merged, &report)?;
            let built = tmp.keep();
            std::fs::rename(&built, &args.into).map_err(|e| Error::io(&args.into, e))?;
        }
    }
    ctx.out.write_all(report.as_bytes()).map_err(crate::output::out_err)?;
    ctx.note(format_args!("merged {} input(s) into {}", inputs.len(), args.into.display()));
    Ok(())
}

/// Writes the merged project's files in one transaction.
pub fn write_all(project: &Project, merged: &Merged, report: &str) -> Result<()> {
    let mut tx = Transaction::new(project);
    let mut sums = project.read_sums()?.unwrap_or_default();
    for (id, bytes) in &merged.sources {
        let path = project.sources_dir().join(format!("{id}.txt"));
        sums.insert(format!("{id}.txt"), sha256_hex(bytes));
        if std::fs::read(&path).ok().as_deref() != Some(bytes.as_slice()) {
            tx.write(path, bytes.clone());
        }
    }
    tx.write(project.sums_path(), sums_bytes(&sums));
    for (coder, codings) in &merged.codings {
        let mut codings = codings.clone();
        store::stage(&mut tx, project, coder, Kind::Anchored, &mut codings);
    }
    tx.write(project.codebook_path(), merged.codebook.to_json().into_bytes());
    tx.write(project.root().join(REPORT), report.as_bytes().to_vec());
    tx.commit()
}
