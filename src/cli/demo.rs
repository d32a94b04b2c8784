//! `quire demo`: copy the study's four coded country projects from the shipped fixtures, merge
//! them into one framework, and print the sample table, respondents per theme and country, and
//! three quotes per theme.

use std::path::PathBuf;

use super::Ctx;
use crate::codebook::{CodePath, Codebook};
use crate::coding::kinds::{CoderChoice, Counted};
use crate::coding::store;
use crate::demo::{merge_countries, unpack, write_countries, COUNTRIES};
use crate::error::{Error, Result};
use crate::index::{QuoteQuery, SegmentIndex};
use crate::merge::Input;
use crate::output::{out_err, Format};
use crate::quotes::{write_hits, Spread};
use crate::table::render::{self, TableFormat};
use crate::table::{self as tables, Count};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Work directory to create (default: a new directory under the system's temp folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: TableFormat,
}

fn work_dir(out: Option<PathBuf>) -> Result<PathBuf> {
    match out {
        Some(dir) => {
            let occupied = std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(false);
            if occupied {
                return Err(Error::refused(format!("{}: --out must be a new or empty directory", dir.display())));
            }
            Ok(dir)
        }
        None => {
            let tmp = tempfile::Builder::new().prefix("quire-demo-").tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            Ok(tmp.keep())
        }
    }
}

/// A title before a table, in the formats meant for reading.
fn heading(ctx: &mut Ctx<'_>, format: TableFormat, title: &str) -> Result<()> {
    if matches!(format, TableFormat::Text | TableFormat::Md) {
        writeln!(ctx.out, "{title}\n").map_err(out_err)?;
    }
    Ok(())
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let dir = work_dir(args.out)?;
    let mut inputs: Vec<(PathBuf, Input)> = Vec::new();
    for country in COUNTRIES {
        let project = unpack(country, &dir.join(country))?;
        let input = Input::read(project.root())?;
        ctx.note(format_args!(
            "{}: {} sources, {} codings in {}",
            country.to_uppercase(),
            input.sources.len(),
            store::read_all(&project)?.len(),
            project.root().display()
        ));
        inputs.push((project.root().to_path_buf(), input));
    }

    // One framework: the four countries merged.
    let project = merge_countries(&dir, &inputs)?;
    ctx.note(format_args!("merged the four countries into {}", dir.join("first48").display()));
    let countries_csv = write_countries(&project)?;
    heading(ctx, args.format, "Country context")?;
    render::write(&tables::countries(&countries_csv)?, args.format, ctx.out)?;
    writeln!(ctx.out).map_err(out_err)?;

    let sources = project.load_sources()?;
    heading(ctx, args.format, "Sample: respondents by country")?;
    render::write(&tables::sample(&sources)?, args.format, ctx.out)?;

    let codebook = Codebook::load(&project.codebook_path())?;
    let all = tables::CodedUnits::load(&project)?;
    let counted = Counted::resolve(&CoderChoice::Analysis, &all.coders, &project.manifest.coders);
    let coded = all.filtered(&[], &counted);
    let themes = tables::code_by_attribute(&codebook, &coded, Some(1), "country", Count::Respondents, None)?;
    writeln!(ctx.out).map_err(out_err)?;
    heading(ctx, args.format, &format!("Respondents mentioning each theme, by country ({})", counted.describe()))?;
    let indent = matches!(args.format, TableFormat::Text | TableFormat::Md);
    let mut table = themes.to_table(indent, true);
    if args.format == TableFormat::Tex {
        table = render::without_columns(&table, &render::INTERNAL_COLUMNS);
    }
    render::write(&table, args.format, ctx.out)?;

    // Inter-coder agreement where a second coder coded part of Portugal.
    let second: crate::coding::Coder = "fixture2".parse().expect("valid coder");
    if store::coders(&project)?.contains(&second) {
        let coders = ["fixture".parse().expect("valid coder"), second];
        let themes: Vec<CodePath> = codebook.codes.iter().map(|c| CodePath::new(vec![c.id.clone()])).collect();
        let (agreement, shared) = crate::agreement::compare(&project, &coders, &themes, crate::agreement::Unit::Segment, false)?;
        writeln!(ctx.out).map_err(out_err)?;
        heading(ctx, args.format, &format!("Agreement of coders fixture and fixture2 on {shared} Portuguese sources, per theme (segments)"))?;
        render::write(&agreement, args.format, ctx.out)?;
    }

    if matches!(args.format, TableFormat::Text | TableFormat::Md) {
        let (index, _) = SegmentIndex::open(&project, false)?;
        let format = if args.format == TableFormat::Md { Format::Md } else { Format::Text };
        let countries = COUNTRIES.map(str::to_uppercase);
        let countries = countries.each_ref().map(String::as_str);
        let spread = Spread { limit: 3, countries: Some(&countries), shorter_than: Some(400), per_country: Some(1) };
        for code in &codebook.codes {
            let hits = index
                .search(&QuoteQuery { codes: vec![vec![CodePath::new(vec![code.id.clone()])]], coders: Some(counted.clone()), ..Default::default() })?
                .hits;
            // Three short quotes, from different countries where possible.
            let picked = spread.pick(&hits);
            writeln!(ctx.out, "\n## {}\n", code.name).map_err(out_err)?;
            write_hits(&picked, format, ctx.out)?;
        }
    }
    ctx.note(format_args!("demo projects are in {}", dir.display()));
    Ok(())
}
