//! `quire verify`: check a project's integrity, and with `--repair` fix what needs no guess.

use super::Ctx;
use crate::error::{Error, Result};
use crate::output::{Format, Table};
use crate::verify::verify;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fix what can be fixed without guessing: record missing hashes, re-anchor codings whose exact
    /// text occurs once in their source, move codings on no respondent text to the coder's orphan
    /// file (`codings/<coder>.orphaned.csv`), rebuild the index.
    #[arg(long)]
    pub repair: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let outcome = verify(&project, args.repair)?;
    if !outcome.problems.is_empty() {
        let mut table = Table::new(["location", "problem", "status"]);
        for p in &outcome.problems {
            table.push(vec![p.location.to_string(), p.message.clone(), if p.repaired { "repaired".into() } else { "remains".into() }]);
        }
        if args.format == Format::Text {
            for row in &table.rows {
                ctx.note(format_args!("{}: {} ({})", row[0], row[1], row[2]));
            }
        } else {
            table.write(args.format, ctx.out)?;
        }
    }
    ctx.note(format_args!(
        "{} source(s), {} coding(s) checked; index {}; {} problem(s), {} remaining",
        outcome.sources_checked,
        outcome.codings_checked,
        if outcome.index_rebuilt { "rebuilt" } else { "up to date" },
        outcome.problems.len(),
        outcome.remaining()
    ));
    match outcome.remaining() {
        0 => Ok(()),
        n => Err(Error::Findings(format!("{n} problem(s) remain{}", if args.repair { "" } else { " (try --repair)" }))),
    }
}
