//! `quire init`: create a project directory with its manifest, codebook and folders.

use std::path::PathBuf;

use super::Ctx;
use crate::codebook::Codebook;
use crate::corpus::Language;
use crate::error::{Error, Result};
use crate::project::{Manifest, Project};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to create (may exist, but must not hold a project).
    pub dir: PathBuf,
    /// Codebook JSON to copy into the project (default: an empty codebook).
    #[arg(long, value_name = "FILE")]
    pub codebook: Option<PathBuf>,
    /// Project name (default: the directory name).
    #[arg(long)]
    pub name: Option<String>,
    /// Language of transcripts that do not declare one.
    #[arg(long, default_value = "en")]
    pub language: Language,
    /// Coder recorded when a command is not given `--coder`.
    #[arg(long, default_value = "me")]
    pub coder: crate::coding::Coder,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let name = match &args.name {
        Some(n) => n.clone(),
        None => std::path::absolute(&args.dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "project".to_string()),
    };
    let codebook_json = match &args.codebook {
        Some(path) => {
            Codebook::load(path)?; // refuse an invalid codebook before creating anything
            std::fs::read(path).map_err(|e| Error::io(path, e))?
        }
        None => Codebook::empty(&name).to_json().into_bytes(),
    };
    let project = Project::init(&args.dir, Manifest::new(&name, args.language, args.coder.clone()), &codebook_json)?;
    ctx.note(format_args!("created project `{name}` in {}", project.root().display()));
    Ok(())
}
