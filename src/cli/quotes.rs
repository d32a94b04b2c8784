//! `quire quotes`: respondent quotes by text, code, attribute and coder, with the study citation.

use super::Ctx;
use crate::codebook::{rule, Codebook};
use crate::coding::kinds::{CoderChoice, CoderKinds, Counted};
use crate::corpus::filter::AttrFilter;
use crate::error::{Error, Result};
use crate::index::{QuoteQuery, SegmentIndex};
use crate::output::Format;
use crate::quotes::write_hits;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Words to look for (stemmed in each segment's language): words, "phrases", prefix*, AND, OR, NOT.
    pub query: Option<String>,
    #[command(flatten)]
    pub filter: Filter,
    /// At most this many quotes.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// Filters shared by `quotes` and `export quotes`.
#[derive(Debug, clap::Args)]
pub struct Filter {
    /// Code (path or unique suffix; its descendants count too). Repeat to require several;
    /// `a,b` accepts either.
    #[arg(long = "code", value_name = "PATH[,PATH]")]
    pub codes: Vec<String>,
    /// Attribute filter KEY=V1,V2 (OR within a key, AND across keys), e.g. role=PR,EPR.
    #[arg(long = "where", value_name = "KEY=V1,V2")]
    pub filters: Vec<AttrFilter>,
    /// Whose codings count: the analysis coders (default), `all`, or coders `a,b` (any kind;
    /// then a quote must carry a coding of one of them).
    #[arg(long, default_value = "analysis", value_name = "CODERS")]
    pub coder: CoderChoice,
    /// Also print segments the anonymisation check flags (withheld by default).
    #[arg(long)]
    pub allow_flagged: bool,
}

impl Filter {
    /// Checks codes and attribute keys and builds the query over `index`.
    pub fn to_query(&self, index: &SegmentIndex, kinds: &CoderKinds, codebook: &Codebook, text: Option<&str>) -> Result<QuoteQuery> {
        let known = index.attribute_keys();
        let text = match text {
            Some(t) => Some(rule::parse(t).map_err(|e| Error::Usage(format!("query `{t}`: {e}")))?),
            None => None,
        };
        let codes = self
            .codes
            .iter()
            .map(|alternatives| alternatives.split(',').map(|c| codebook.resolve(c.trim())).collect::<Result<Vec<_>>>())
            .collect::<Result<_>>()?;
        AttrFilter::check_all(&self.filters, known)?;
        let filters = AttrFilter::pairs(&self.filters);
        let coders = Some(Counted::resolve(&self.coder, &index.coders(), kinds));
        Ok(QuoteQuery { text, codes, filters, coders, allow_flagged: self.allow_flagged })
    }
}

/// The note for withheld quotes, if any.
pub fn withheld_note(ctx: &mut Ctx<'_>, withheld: usize) {
    if withheld > 0 {
        ctx.note(format_args!("{withheld} quote(s) withheld: the anonymisation check flags them (see `quire check`; --allow-flagged prints them)"));
    }
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let codebook = Codebook::load(&project.codebook_path())?;
    let (index, _) = SegmentIndex::open_reporting(&project, false, ctx.progress)?;
    if let Some(unknown) = crate::coding::unknown::UnknownCodes::find(&codebook, index.coded_counts()) {
        ctx.note(format_args!("warning: {unknown}"));
    }
    // The codebook and the index are open: writers need not wait while this one searches and prints.
    project.end_reading();
    let query = args.filter.to_query(&index, &project.manifest.coders, &codebook, args.query.as_deref())?;
    let found = index.search_limited(&query, args.limit)?;
    write_hits(&found.hits, args.format, ctx.out)?;
    ctx.note(format_args!("{} of {} quote(s)", found.hits.len(), found.total));
    withheld_note(ctx, found.withheld);
    Ok(())
}
