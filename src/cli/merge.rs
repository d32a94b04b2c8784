//! `quire merge`: combine per-country projects into one project with a merge report.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Ctx;
use crate::codebook::Codebook;
use crate::coding::store::{self, Kind};
use crate::corpus::Language;
use crate::error::{Error, Result};
use crate::merge::{self, Input, Merged};
use crate::project::txn::Transaction;
use crate::project::{sha256_hex, sums_bytes, Manifest, Project, MANIFEST};

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
    let existing = args.into.join(MANIFEST).is_file();
    if !existing {
        // Before anything is read or built.
        crate::staging::check_target(&args.into)?;
    }
    let mut inputs: Vec<(PathBuf, Input)> = Vec::new();
    for d in &args.inputs {
        if merge::is_qdpx(d) {
            let imported = crate::refi::import::read(d, &crate::refi::import::Options::default())?;
            ctx.note(format_args!("{}: {} sources, {} codings", d.display(), imported.sources.len(), imported.codings.len()));
            super::import::notes(&imported.report, ctx);
            inputs.push((d.clone(), imported.into_input()));
        } else if !d.join(MANIFEST).is_file() {
            return Err(Error::Usage(format!("{}: not a quire project (it has no {MANIFEST}) nor a .qdpx file", d.display())));
        } else {
            inputs.push((d.clone(), Input::read(d)?));
        }
    }
    let (merged, report) = if existing {
        // The target is read under its writer lock, held until the merge is written: a write
        // made meanwhile by another process is either in what is read or waits for the merge.
        let project = Project::open(&args.into)?;
        let _lock = project.lock()?;
        let codebook = match &args.codebook {
            Some(f) => Codebook::load(f)?,
            None => Codebook::load(&project.codebook_path())?,
        };
        let sources = project.load_sources()?.iter().map(|s| (s.id.to_string(), crate::corpus::transcript::render(s).into_bytes())).collect();
        let mut codings: BTreeMap<_, Vec<_>> = BTreeMap::new();
        for c in store::read_all(&project)? {
            codings.entry(c.coder.clone()).or_default().push(c);
        }
        let (merged, report) = merge_with(args_mapping(&args, &inputs, Merged { codebook, sources, codings, reports: Vec::new() })?, &inputs, &args)?;
        crate::failpoint::hit("merge-before-write");
        write_all(&project, &merged, &report)?;
        (merged, report)
    } else {
        let codebook = match &args.codebook {
            Some(f) => Codebook::load(f)?,
            None => inputs[0].1.codebook.clone(),
        };
        let base = Merged { codebook, sources: BTreeMap::new(), codings: BTreeMap::new(), reports: Vec::new() };
        let (merged, report) = merge_with(args_mapping(&args, &inputs, base)?, &inputs, &args)?;
        // Built beside OUT, then renamed: OUT appears complete or not at all.
        let staging = crate::staging::Staging::new(&args.into, ".quire-merge-")?;
        let name = args.into.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "merged".into());
        let project = Project::init(staging.path(), Manifest::new(&name, Language::English, "merge"), merged.codebook.to_json().as_bytes())?;
        {
            let _lock = project.lock()?;
            write_all(&project, &merged, &report)?;
        }
        drop(project);
        staging.finish()?;
        (merged, report)
    };
    drop(merged);
    ctx.out.write_all(report.as_bytes()).map_err(crate::output::out_err)?;
    ctx.note(format_args!("merged {} input(s) into {}", inputs.len(), args.into.display()));
    Ok(())
}

/// The base with the mapping file read against its codebook; every row's project must be one
/// of the inputs.
fn args_mapping(args: &Args, inputs: &[(PathBuf, Input)], base: Merged) -> Result<(Merged, Vec<merge::MapRow>)> {
    let Some(f) = &args.map else { return Ok((base, Vec::new())) };
    let mapping = merge::read_mapping(f, &base.codebook)?;
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

fn merge_with((base, mapping): (Merged, Vec<merge::MapRow>), inputs: &[(PathBuf, Input)], args: &Args) -> Result<(Merged, String)> {
    let merged = merge::merge(base, inputs, &mapping, args.allow_drift)?;
    let report = merge::report_md(&merged);
    Ok((merged, report))
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
