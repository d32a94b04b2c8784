//! `quire ingest`: read transcripts into the project. Every file is checked before anything is
//! written, so bad input leaves the project as it was.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::Ctx;
use crate::corpus::cases::CaseSheet;
use crate::error::{Error, Result};
use crate::ingest::{collect_inputs, ingest, refuse_identifiers};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Transcript files (.txt, .md) or directories (read recursively; other files there are listed as skipped).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Cases/attributes CSV (columns `source`, optional `speaker`, then attributes).
    #[arg(long, value_name = "FILE")]
    pub cases: Option<PathBuf>,
    /// Replace sources whose content changed (otherwise they are refused).
    #[arg(long)]
    pub replace: bool,
    /// Check everything and report, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse a transcript in which the anonymisation check finds a likely identifier.
    #[arg(long)]
    pub strict: bool,
}

/// Above this many sources, ingest reports totals instead of a line per source.
const PER_SOURCE_LINES: usize = 50;

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let inputs = collect_inputs(&args.paths)?;
    for warning in &inputs.skipped {
        ctx.note(format_args!("{warning}"));
    }
    let files = inputs.files;
    if files.is_empty() {
        return Err(Error::Usage("no transcript files (.txt, .md) found in the given paths".into()));
    }
    let cases = args.cases.as_deref().map(CaseSheet::read).transpose()?;
    if args.strict {
        refuse_identifiers(&project, &files)?;
    }
    if files.len() > PER_SOURCE_LINES {
        ctx.note(format_args!("checking {} transcripts...", files.len()));
    }
    let report = ingest(&project, &files, cases.as_ref(), args.replace, args.dry_run, ctx.progress)?;
    for warning in &report.warnings {
        ctx.note(format_args!("{warning}"));
    }
    let done = &report.sources;
    let mut counts = BTreeMap::new();
    for (source, outcome) in done {
        let outcome = format!("{outcome:?}").to_lowercase();
        *counts.entry(outcome.clone()).or_insert(0usize) += 1;
        if done.len() > PER_SOURCE_LINES {
            continue;
        }
        ctx.note(format_args!("{outcome:<9} {}  {} segments, {} respondent(s)", source.id, source.segments.len(), source.respondents().count()));
    }
    let summary: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let dry = if args.dry_run { " (dry run: nothing written)" } else { "" };
    ctx.note(format_args!("{} source(s): {}{dry}", done.len(), summary.join(", ")));
    let orphaned = report.orphaned.len() + report.off_respondent.len();
    if report.reanchored > 0 || orphaned > 0 {
        ctx.note(format_args!("codings of replaced sources: {} re-anchored by their text, {orphaned} orphaned", report.reanchored));
    }
    let lost = report.orphaned.iter().map(|c| (c, "text not found")).chain(report.off_respondent.iter().map(|c| (c, "no longer respondent text")));
    for (c, why) in lost {
        ctx.note(format_args!("orphaned  {}@{}..{} {} ({}): {why}: \"{}\"", c.source, c.start, c.end, c.code, c.coder, c.text.replace('\n', " ")));
    }
    Ok(())
}
