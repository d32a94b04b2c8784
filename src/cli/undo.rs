//! `quire undo`: revert the last write (or every write after `--to N`) byte for byte; an undo is
//! itself a write, so `quire undo` again redoes.

use super::Ctx;
use crate::error::Result;
use crate::output::out_err;
use crate::project::history::{self, undo};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Undo every write after write N (see `quire log`), not only the last one.
    #[arg(long, value_name = "N")]
    pub to: Option<u64>,
    /// Print what would be restored and removed; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let _lock = project.lock()?;
    let plan = undo::plan(&project, args.to)?;
    for (path, bytes) in &plan.files {
        writeln!(ctx.out, "{} {path}", if bytes.is_some() { "restore" } else { "remove" }).map_err(out_err)?;
    }
    let restored = plan.files.values().filter(|b| b.is_some()).count();
    let removed = plan.files.len() - restored;
    let what = match plan.undone.as_slice() {
        [one] => format!("write {} (`{}`)", one.number, one.command),
        many => format!("writes {} to {}", many.last().map_or(0, |e| e.number), many.first().map_or(0, |e| e.number)),
    };
    let counts = format!("{restored} file(s) restored, {removed} removed");
    if args.dry_run {
        ctx.note(format_args!("would undo {what}: {counts} (dry run: nothing written)"));
        return Ok(());
    }
    undo::apply(&project, plan)?;
    let number = history::entries(project.root())?.last().map_or(0, |e| e.number);
    ctx.note(format_args!("undid {what}: {counts}; recorded as write {number} (`quire undo` again redoes it)"));
    Ok(())
}
