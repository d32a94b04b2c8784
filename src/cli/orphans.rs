//! `quire orphans`: list orphaned codings with the best place for each in the current text, and
//! re-attach them there (above a similarity threshold) or where a person says.

use super::Ctx;
use crate::coding::orphans::{self, Attached, Filter, Orphan};
use crate::coding::{Coder, Target};
use crate::corpus::SourceId;
use crate::error::{Error, Result};
use crate::output::{one_line, out_err, write_json, Format, Table};

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// List orphans, numbered, each with the most similar place in its source's respondent text.
    #[command(after_help = "Examples:\n  quire orphans list\n  quire orphans list --coder ana --source PT-PR-03 --format csv")]
    List {
        #[command(flatten)]
        which: Which,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Re-attach orphans at their best place when it is similar enough (or one orphan where you say).
    #[command(
        after_help = "Similarity is 1 - (edit distance in characters) / (length of the longer text): 1 is the same text.\nOrphans below the threshold stay in the orphan file.\n\nExamples:\n  quire orphans attach --dry-run\n  quire orphans attach --min-similarity 0.9 --coder ana\n  quire orphans attach --orphan 3 --at PT-PR-03@120..388"
    )]
    Attach {
        #[command(flatten)]
        which: Which,
        /// Attach an orphan whose best place is at least this similar (0 to 1).
        #[arg(long, default_value_t = 0.8, value_name = "SCORE")]
        min_similarity: f64,
        /// The orphan to place by hand (its number in `quire orphans list`); needs --at.
        #[arg(long, value_name = "N", requires = "at", conflicts_with_all = ["coder", "source"])]
        orphan: Option<usize>,
        /// Where to place it: a character span of respondent text, widened to whole words.
        #[arg(long, value_name = "SOURCE@START..END", requires = "orphan")]
        at: Option<Target>,
        /// Print what would be attached, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Which orphans.
#[derive(Debug, clap::Args)]
pub struct Which {
    /// Only this coder's orphans.
    #[arg(long)]
    pub coder: Option<Coder>,
    /// Only orphans of this source.
    #[arg(long)]
    pub source: Option<SourceId>,
}

impl Which {
    fn filter(&self) -> Filter {
        Filter { coder: self.coder.clone(), source: self.source.clone() }
    }
}

pub fn run(sub: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    match sub {
        Sub::List { which, format } => {
            let found = orphans::list(&project, &which.filter())?;
            project.end_reading();
            write_list(&found, format, ctx)?;
            ctx.note(format_args!("{} orphan(s)", found.len()));
        }
        Sub::Attach { which, min_similarity, orphan, at, dry_run } => {
            if !(0.0..=1.0).contains(&min_similarity) {
                return Err(Error::Usage(format!("--min-similarity {min_similarity}: give a score from 0 to 1")));
            }
            let _lock = project.lock()?;
            let attached = match (orphan, at) {
                (Some(n), Some(at)) => orphans::attach_at(&project, n, &at, dry_run)?,
                _ => orphans::attach(&project, &which.filter(), min_similarity, dry_run)?,
            };
            write_attached(&attached, min_similarity, dry_run, ctx)?;
        }
    }
    Ok(())
}

fn span(source: &SourceId, start: usize, end: usize) -> String {
    format!("{source}@{start}..{end}")
}

fn score(s: f64) -> String {
    format!("{s:.3}")
}

/// One row per orphan: number, coder, code, old place and text, best place, score and text.
fn write_list(found: &[Orphan], format: Format, ctx: &mut Ctx<'_>) -> Result<()> {
    if format == Format::Json {
        let rows: Vec<serde_json::Value> = found
            .iter()
            .map(|o| {
                let c = &o.coding;
                let best = o
                    .best
                    .as_ref()
                    .map(|b| serde_json::json!({"start": b.start, "end": b.end, "score": (b.score * 1000.0).round() / 1000.0, "text": b.text}));
                serde_json::json!({"orphan": o.number, "coder": c.coder.as_str(), "code": c.code.to_string(), "source": c.source.as_str(),
                    "start": c.start, "end": c.end, "text": c.text, "candidate": best})
            })
            .collect();
        return write_json(ctx.out, &rows);
    }
    let mut table = Table::new(["orphan", "coder", "code", "old span", "old text", "candidate", "score", "candidate text"]);
    for o in found {
        let c = &o.coding;
        let (place, s, text) = match &o.best {
            Some(b) => (span(&c.source, b.start, b.end), score(b.score), b.text.clone()),
            None => ("-".into(), "-".into(), String::new()),
        };
        let flat = |t: &str| if format == Format::Csv { t.to_string() } else { one_line(t) };
        table.push(vec![
            o.number.to_string(),
            c.coder.to_string(),
            c.code.to_string(),
            span(&c.source, c.start, c.end),
            flat(&c.text),
            place,
            s,
            flat(&text),
        ]);
    }
    table.write(format, ctx.out)
}

/// Per placed orphan, its move and old text -> new text with the score; then what stays.
fn write_attached(attached: &Attached, min: f64, dry_run: bool, ctx: &mut Ctx<'_>) -> Result<()> {
    for p in &attached.placed {
        let (old, new) = (&p.orphan.coding, &p.coding);
        writeln!(
            ctx.out,
            "{}  {} -> {}  {} ({})  {}  \"{}\" -> \"{}\"",
            old_number(p.orphan.number),
            span(&old.source, old.start, old.end),
            span(&new.source, new.start, new.end),
            new.code,
            new.coder,
            score(p.score),
            one_line(&old.text),
            one_line(&new.text)
        )
        .map_err(out_err)?;
        if let Some((a, b)) = p.widened_from {
            ctx.note(format_args!("note: {} widened to whole words of respondent text", span(&new.source, a, b)));
        }
    }
    let verb = if dry_run { "would attach" } else { "attached" };
    let already = if attached.already > 0 { format!(" ({} already coded there)", attached.already) } else { String::new() };
    let dry = if dry_run { " (dry run: nothing written)" } else { "" };
    ctx.note(format_args!("{verb} {} orphan(s){already}{dry}", attached.placed.len()));
    if !attached.kept.is_empty() {
        let best: Vec<String> = attached
            .kept
            .iter()
            .map(|o| format!("{} {}", old_number(o.number), o.best.as_ref().map_or("no candidate".into(), |b| score(b.score))))
            .collect();
        ctx.note(format_args!(
            "{} orphan(s) stay, best place below {}: {} (`quire orphans list` shows them)",
            attached.kept.len(),
            score(min),
            best.join(", ")
        ));
    }
    Ok(())
}

fn old_number(n: usize) -> String {
    format!("#{n}")
}
