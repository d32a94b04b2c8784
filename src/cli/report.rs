//! `quire report`: write the self-contained HTML report of a project.

use std::path::PathBuf;

use super::Ctx;
use crate::codebook::{CodePath, Codebook};
use crate::coding::kinds::{CoderChoice, Counted};
use crate::error::Result;
use crate::index::{QuoteQuery, SegmentIndex};
use crate::project::write_atomic;
use crate::quotes::Spread;
use crate::report::{render, Report};
use crate::table::{self as tables, Count, Percent};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The HTML file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Quotes per theme, at most.
    #[arg(long, default_value_t = 3)]
    pub quotes: usize,
    /// Also show quotes the anonymisation check flags.
    #[arg(long)]
    pub allow_flagged: bool,
    /// Whose codings to count and quote: the analysis coders (default), `all`, or coders `a,b`.
    #[arg(long, default_value = "analysis", value_name = "CODERS")]
    pub coder: CoderChoice,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let codebook = Codebook::load(&project.codebook_path())?;
    let sources = project.load_sources()?;
    let all = tables::CodedUnits::load(&project)?;
    let counted = Counted::resolve(&args.coder, &all.coders, &project.manifest.coders);
    let coded = all.filtered(&[], &counted);
    let tree = tables::code_by_attribute(&codebook, &coded, None, "country", Count::Respondents, None)?;
    let heat = tables::code_by_attribute(&codebook, &coded, Some(1), "country", Count::Respondents, Some(Percent::Col))?;
    let sample = tables::sample(&sources)?;
    let (index, _) = SegmentIndex::open_reporting(&project, false, ctx.progress)?;
    let spread = Spread { limit: args.quotes, countries: None, shorter_than: None, per_country: None };
    let mut quotes = Vec::new();
    let mut withheld = 0;
    for code in &codebook.codes {
        let query = QuoteQuery {
            codes: vec![vec![CodePath::new(vec![code.id.clone()])]],
            allow_flagged: args.allow_flagged,
            coders: Some(counted.clone()),
            ..Default::default()
        };
        let found = index.search(&query)?;
        withheld += found.withheld;
        // Spread the quotes over countries: the first of each country in turn.
        quotes.push((code.name.clone(), spread.pick(&found.hits)));
    }
    let title = format!("{}: coding report", project.manifest.name);
    let html = render(&Report { title: &title, tree: &tree, heat: &heat, sample: &sample, quotes: &quotes, withheld, counted: &counted.describe() });
    write_atomic(&args.out, html.as_bytes())?;
    ctx.note(format_args!("wrote {} ({} bytes)", args.out.display(), html.len()));
    Ok(())
}
