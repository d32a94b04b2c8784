//! `quire check`: scan the project's sources for likely identifiers before anything is published.

use serde::Serialize;

use super::Ctx;
use crate::anonymise::{line_col, scan, IdentifierKind, Lists};
use crate::corpus::transcript;
use crate::error::{Error, Result};
use crate::output::{out_err, write_json, Format, Table};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Exit with status 1 when anything is found (for scripts and CI; exit codes: README, Development).
    #[arg(long)]
    pub strict: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Serialize)]
struct Hit {
    source: String,
    line: usize,
    column: usize,
    kind: IdentifierKind,
    text: String,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let lists = Lists::read(project.root())?;
    let mut hits = Vec::new();
    for source in project.load_sources()? {
        let text = transcript::render(&source);
        for f in scan(&text, &lists) {
            let (line, column) = line_col(&text, f.start);
            hits.push(Hit { source: source.id.to_string(), line, column, kind: f.kind, text: f.text });
        }
    }
    match args.format {
        Format::Json => write_json(ctx.out, &hits)?,
        Format::Text => {
            for h in &hits {
                let path = project.sources_dir().join(format!("{}.txt", h.source));
                writeln!(ctx.out, "{}:{}:{}: {}: {}", path.display(), h.line, h.column, h.kind, h.text).map_err(out_err)?;
            }
        }
        format => {
            let mut table = Table::new(["source", "line", "column", "kind", "text"]);
            for h in &hits {
                table.push(vec![h.source.clone(), h.line.to_string(), h.column.to_string(), h.kind.to_string(), h.text.clone()]);
            }
            table.write(format, ctx.out)?;
        }
    }
    let sources: std::collections::BTreeSet<&str> = hits.iter().map(|h| h.source.as_str()).collect();
    ctx.note(format_args!(
        "{} likely identifier(s) in {} source(s); allow words in {}, deny names in {}",
        hits.len(),
        sources.len(),
        crate::anonymise::ALLOW_FILE,
        crate::anonymise::DENY_FILE
    ));
    if args.strict && !hits.is_empty() {
        return Err(Error::Findings(format!("{} likely identifier(s) found (--strict)", hits.len())));
    }
    Ok(())
}
