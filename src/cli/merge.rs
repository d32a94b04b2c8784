//! `quire merge`: combine per-country projects into one project with a merge report.

use std::path::PathBuf;

use super::Ctx;
use crate::error::{Error, Result};
use crate::merge::{self, Input};
use crate::project::MANIFEST;

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
    /// Print the merge report and what the merge would change (sources, codings per coder,
    /// codebook) on stderr; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

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
            for line in crate::import::notes(&imported.report) {
                ctx.note(format_args!("{line}"));
            }
            inputs.push((d.clone(), Input::from(imported)));
        } else if !d.join(MANIFEST).is_file() {
            return Err(Error::Usage(format!("{}: not a quire project (it has no {MANIFEST}) nor a .qdpx file", d.display())));
        } else {
            inputs.push((d.clone(), Input::read(d)?));
        }
    }
    let options = merge::Options { codebook: args.codebook, map: args.map, allow_drift: args.allow_drift, dry_run: args.dry_run };
    let outcome = if existing { merge::into_existing(&args.into, &inputs, &options)? } else { merge::into_new(&args.into, &inputs, &options)? };
    ctx.out.write_all(outcome.report.as_bytes()).map_err(crate::output::out_err)?;
    if args.dry_run {
        for line in &outcome.preview {
            ctx.note(format_args!("{line}"));
        }
        ctx.note(format_args!("would merge {} input(s) into {} (dry run: nothing written)", inputs.len(), args.into.display()));
    } else {
        ctx.note(format_args!("merged {} input(s) into {}", inputs.len(), args.into.display()));
    }
    Ok(())
}
