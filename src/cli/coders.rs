//! `quire coders`: the project's coders, their kinds and codings; set a coder's kind.

use super::Ctx;
use crate::coding::kinds::CoderKind;
use crate::coding::store::{self, CodingFile};
use crate::coding::Coder;
use crate::error::Result;
use crate::output::{Format, Table};
use crate::project::txn::Transaction;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Record a coder's kind: analysis (counted), reliability (agreement only), suggestion (machine).
    #[command(after_help = "Examples:\n  quire coders set fixture2 reliability\n  quire coders set auto suggestion")]
    Set { coder: Coder, kind: CoderKind },
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    match args.command {
        Some(Sub::Set { coder, kind }) => {
            let _lock = project.lock()?;
            let before = project.manifest.coders.kind(&coder);
            let mut manifest = project.manifest.clone();
            manifest.coders.set(coder.clone(), kind);
            let mut tx = Transaction::new(&project);
            tx.write_manifest(&manifest);
            tx.commit()?;
            ctx.note(format_args!("{coder}: {before} → {kind}"));
        }
        None => {
            let kinds = &project.manifest.coders;
            let mut coders = store::coders(&project)?;
            for (c, _) in kinds.recorded() {
                if !coders.contains(c) {
                    coders.push(c.clone());
                }
            }
            coders.sort();
            let mut table = Table::new(["coder", "kind", "codings", "counted"]);
            for coder in &coders {
                let codings = store::read(&store::path(&project, coder, CodingFile::Anchored))?.len();
                let kind = kinds.kind(coder);
                table.push(vec![
                    coder.to_string(),
                    kind.to_string(),
                    codings.to_string(),
                    if kind == CoderKind::Analysis { "yes" } else { "no" }.into(),
                ]);
            }
            project.end_reading();
            table.write(args.format, ctx.out)?;
        }
    }
    Ok(())
}
