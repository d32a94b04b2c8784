//! `quire log`: the project's writes, newest last, with what each changed.

use serde::Serialize;

use super::Ctx;
use crate::error::Result;
use crate::output::{write_json, Format, Table};
use crate::project::history::{self, summary::Changes, Entry};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only the last N writes.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Serialize)]
struct Row<'a> {
    number: u64,
    time: &'a str,
    command: &'a str,
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    undoes: &'a [u64],
    files: Vec<FileRow<'a>>,
    changes: &'a Changes,
}

#[derive(Serialize)]
struct FileRow<'a> {
    path: &'a str,
    change: &'static str,
}

fn row(e: &Entry) -> Row<'_> {
    let files = e
        .files
        .iter()
        .map(|f| FileRow {
            path: &f.path,
            change: match (&f.before_sha256, &f.after_sha256) {
                (None, _) => "created",
                (_, None) => "removed",
                _ => "replaced",
            },
        })
        .collect();
    Row { number: e.number, time: &e.time, command: &e.command, undoes: &e.undoes, files, changes: &e.changes }
}

/// The command as listed: an undo names what it reverted.
fn command(e: &Entry) -> String {
    match (e.undoes.first(), e.undoes.last()) {
        (Some(a), Some(b)) if a == b => format!("{} (undoes {a})", e.command),
        (Some(a), Some(b)) => format!("{} (undoes {a}-{b})", e.command),
        _ => e.command.clone(),
    }
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let mut entries = history::entries(project.root())?;
    project.end_reading();
    if let Some(n) = args.limit {
        entries.drain(..entries.len().saturating_sub(n));
    }
    if args.format == Format::Json {
        let rows: Vec<Row<'_>> = entries.iter().map(row).collect();
        return write_json(ctx.out, &rows);
    }
    let mut table = Table::new(["write", "time", "command", "changed"]);
    for e in &entries {
        table.push(vec![e.number.to_string(), e.time.clone(), command(e), e.changes.line()]);
    }
    table.write(args.format, ctx.out)?;
    if entries.is_empty() {
        ctx.note(format_args!("no writes recorded yet"));
    }
    Ok(())
}
