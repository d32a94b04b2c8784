//! `quire suggestions`: review machine suggestions (from `autocode`): list, accept, reject.

use super::Ctx;
use crate::codebook::Codebook;
use crate::coding::suggestions::{self, Decided, Selection};
use crate::coding::{Coder, Coding};
use crate::corpus::{SegmentId, SourceId};
use crate::error::{Error, Result};
use crate::output::{one_line, Format, Table};

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// List pending suggestions, with the segment they are on and its text.
    #[command(after_help = "Examples:\n  quire suggestions list --code housing\n  quire suggestions list --source PT-PR-03 --format csv")]
    List {
        #[command(flatten)]
        which: Which,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Accept suggestions: they become codings of the accepting (analysis) coder, made now.
    #[command(
        after_help = "Examples:\n  quire suggestions accept --segment PT-PR-03:4 --coder ana\n  quire suggestions accept --code housing --dry-run\n  quire suggestions accept --all"
    )]
    Accept {
        #[command(flatten)]
        which: Which,
        /// The coder the codings are recorded for (default: the project's coder).
        #[arg(long)]
        coder: Option<Coder>,
        /// Print what would be accepted, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Reject suggestions: they are removed, and `autocode` does not propose them again.
    #[command(after_help = "Examples:\n  quire suggestions reject --code work --source BE-PR-01\n  quire suggestions reject --all --dry-run")]
    Reject {
        #[command(flatten)]
        which: Which,
        /// Print what would be rejected, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Which suggestions: AND across options, OR within a repeated one.
#[derive(Debug, clap::Args)]
pub struct Which {
    /// A code (path or unique suffix; its descendants count too). Repeatable.
    #[arg(long = "code", value_name = "PATH")]
    pub codes: Vec<String>,
    /// A source. Repeatable.
    #[arg(long = "source", value_name = "ID")]
    pub sources: Vec<SourceId>,
    /// A segment (`SOURCE:N`, as `show` numbers them). Repeatable.
    #[arg(long = "segment", value_name = "SOURCE:N")]
    pub segments: Vec<SegmentId>,
    /// Every pending suggestion (accept and reject need a filter or this).
    #[arg(long)]
    pub all: bool,
}

impl Which {
    fn selection(&self, codebook: &Codebook, sources: &[crate::corpus::Source]) -> Result<Selection> {
        Ok(Selection {
            codes: self.codes.iter().map(|c| codebook.resolve(c)).collect::<Result<_>>()?,
            sources: self.sources.iter().cloned().collect(),
            segments: Selection::segments_of(sources, &self.segments)?,
        })
    }
}

pub fn run(sub: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let which = match &sub {
        Sub::List { which, .. } | Sub::Accept { which, .. } | Sub::Reject { which, .. } => which,
    };
    let writes = !matches!(sub, Sub::List { .. });
    if writes && !which.all && which.codes.is_empty() && which.sources.is_empty() && which.segments.is_empty() {
        return Err(Error::Usage("say which suggestions: --code, --source, --segment, or --all".into()));
    }
    let _lock = if writes { Some(project.lock()?) } else { None };
    let codebook = Codebook::load(&project.codebook_path())?;
    let sources = project.load_sources()?;
    let selection = which.selection(&codebook, &sources)?;
    match sub {
        Sub::List { format, .. } => {
            let found = suggestions::list(&project, &selection)?;
            project.end_reading();
            write_table(&found, &sources, format, ctx)?;
            ctx.note(format_args!("{} pending suggestion(s)", found.len()));
        }
        Sub::Accept { coder, dry_run, .. } => {
            let to = coder.unwrap_or_else(|| project.manifest.coder.clone());
            let Decided { taken, added } = suggestions::accept(&project, &selection, &to, dry_run)?;
            write_table(&taken, &sources, Format::Text, ctx)?;
            let verb = if dry_run { "would accept" } else { "accepted" };
            ctx.note(format_args!(
                "{verb} {} suggestion(s) as codings of {to}: {added} new, {} already coded{}",
                taken.len(),
                taken.len() - added,
                dry_note(dry_run)
            ));
        }
        Sub::Reject { dry_run, .. } => {
            let Decided { taken, .. } = suggestions::reject(&project, &selection, dry_run)?;
            write_table(&taken, &sources, Format::Text, ctx)?;
            let verb = if dry_run { "would reject" } else { "rejected" };
            ctx.note(format_args!("{verb} {} suggestion(s){}", taken.len(), dry_note(dry_run)));
        }
    }
    Ok(())
}

fn dry_note(dry_run: bool) -> &'static str {
    if dry_run {
        " (dry run: nothing written)"
    } else {
        ""
    }
}

/// One row per suggestion: its segment (as `show` numbers it), code, suggester, citation, text.
fn write_table(found: &[Coding], sources: &[crate::corpus::Source], format: Format, ctx: &mut Ctx<'_>) -> Result<()> {
    let mut table = Table::new(["segment", "code", "suggested by", "citation", "text"]);
    let by_id: std::collections::HashMap<&SourceId, &crate::corpus::Source> = sources.iter().map(|s| (&s.id, s)).collect();
    for c in found {
        let source = by_id.get(&c.source).copied();
        let segment = source.and_then(|s| s.segments.iter().find(|g| g.start <= c.start && c.start < g.end));
        let citation = source.zip(segment).and_then(|(s, g)| s.speaker_of(g).respondent().map(|r| r.citation())).unwrap_or_default();
        let id = segment.map(|g| g.id.to_string()).unwrap_or_else(|| format!("{}@{}..{}", c.source, c.start, c.end));
        table.push(vec![id, c.code.to_string(), c.coder.to_string(), citation, one_line(&c.text)]);
    }
    table.write(format, ctx.out)
}
