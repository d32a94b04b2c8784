//! `quire index`: bring the search index up to date, or rebuild it from scratch.

use super::Ctx;
use crate::error::Result;
use crate::index::{Freshness, SegmentIndex};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rebuild even if the index looks up to date.
    #[arg(long)]
    pub rebuild: bool,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let (index, freshness) = SegmentIndex::open_reporting(&project, args.rebuild, ctx.progress)?;
    let state = match freshness {
        Freshness::UpToDate => "up to date".to_string(),
        Freshness::Updated(n) => format!("updated ({n} source(s) re-indexed)"),
        Freshness::Rebuilt => "rebuilt".to_string(),
    };
    ctx.note(format_args!("index {state}: {} segments", index.num_segments()?));
    Ok(())
}
