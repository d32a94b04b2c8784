//! `quire bench` (hidden): the corpus generator and an in-process query timer for `bench/run.sh`.

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;

use super::quotes::Filter;
use super::Ctx;
use crate::codebook::Codebook;
use crate::error::{Error, Location, Result};
use crate::index::SegmentIndex;

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Write N synthetic transcripts (OUT/transcripts/) and codings of coder `bench` (OUT/bench.csv).
    #[command(after_help = "Example:\n  quire bench gen --n 1000 --out /tmp/corpus --codebook codebook/first48.json")]
    Gen {
        #[arg(long)]
        n: usize,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 48)]
        seed: u64,
        #[arg(long)]
        codebook: PathBuf,
    },
    /// Time quote queries (one per line, `quire quotes` arguments) in one process: p50 and p95.
    #[command(after_help = "Example:\n  quire bench query --queries bench/queries.txt")]
    Query {
        #[arg(long)]
        queries: PathBuf,
    },
}

#[derive(Debug, Parser)]
struct QueryLine {
    query: Option<String>,
    #[command(flatten)]
    filter: Filter,
    #[arg(long)]
    limit: Option<usize>,
}

pub fn run(command: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    match command {
        Sub::Gen { n, out, seed, codebook } => {
            let codebook = Codebook::load(&codebook)?;
            let (words, codings) = crate::bench::generate(&out, n, seed, &codebook)?;
            ctx.note(format_args!("{n} transcripts, {words} words, {codings} codings in {}", out.display()));
            Ok(())
        }
        Sub::Query { queries } => {
            let project = ctx.project()?;
            let codebook = Codebook::load(&project.codebook_path())?;
            let text = std::fs::read_to_string(&queries).map_err(|e| Error::io(&queries, e))?;
            let (index, _) = SegmentIndex::open(&project, false)?;
            let mut times = Vec::new();
            let mut found = 0;
            for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
                let words = std::iter::once("query").chain(line.split_whitespace());
                let parsed = QueryLine::try_parse_from(words).map_err(|e| Error::invalid(Location::line(&queries, i + 1), e.to_string()))?;
                let started = Instant::now();
                let query = parsed.filter.to_query(&index, &project.manifest.coders, &codebook, parsed.query.as_deref())?;
                found += index.search_limited(&query, parsed.limit)?.hits.len();
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let pct = |p: f64| times.get(((times.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0);
            writeln!(ctx.out, "queries,p50_ms,p95_ms,quotes\n{},{:.2},{:.2},{found}", times.len(), pct(0.5), pct(0.95))
                .map_err(crate::output::out_err)
        }
    }
}
