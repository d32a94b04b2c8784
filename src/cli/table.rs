//! `quire table`: frequency tables (codes × attribute, co-occurrence), the sample table and the
//! country table.

use std::path::PathBuf;

use super::Ctx;
use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::table::render::{self, TableFormat};
use crate::table::{self as tables, Count, Percent};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Rows: `code` or `code:DEPTH` (codes down to that level, in tree order).
    #[arg(long, default_value = "code")]
    pub rows: String,
    /// Columns: an attribute (country, role, gender, method, ...) or `code` / `code:DEPTH`
    /// for the co-occurrence matrix.
    #[arg(long, default_value = "country")]
    pub cols: String,
    #[arg(long, value_enum, default_value = "respondents")]
    pub count: Count,
    #[arg(long, value_enum)]
    pub percent: Option<Percent>,
    /// Attribute filter KEY=V1,V2 (OR within a key, AND across keys).
    #[arg(long = "where", value_name = "KEY=V1,V2")]
    pub filters: Vec<crate::corpus::filter::AttrFilter>,
    /// Whose codings to count: the analysis coders (default), `all`, or coders `a,b` (any kind).
    #[arg(long, default_value = "analysis", value_name = "CODERS")]
    pub coder: crate::coding::kinds::CoderChoice,
    #[arg(long, value_enum, default_value = "text")]
    pub format: TableFormat,
    /// Keep the `code` (path) and `depth` columns in `--format tex` (left out by default: they
    /// are for programs; csv and json always have them).
    #[arg(long)]
    pub internal_columns: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Respondents by country × method × role × gender, with totals.
    #[command(after_help = "Example:\n  quire table sample --format md")]
    Sample {
        #[arg(long, value_enum, default_value = "text")]
        format: TableFormat,
    },
    /// Country attributes side by side, from a CSV `country,attribute,value`.
    #[command(after_help = "Example:\n  quire table countries --file countries.csv --format tex")]
    Countries {
        /// Default: `countries.csv` in the project.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: TableFormat,
    },
}

fn parse_axis(s: &str) -> Result<(String, Option<usize>)> {
    match s.split_once(':') {
        Some((name, depth)) => {
            let d = depth.parse::<usize>().ok().filter(|d| *d > 0).ok_or_else(|| Error::Usage(format!("`{s}`: depth must be a positive number")))?;
            Ok((name.to_string(), Some(d)))
        }
        None => Ok((s.to_string(), None)),
    }
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    match args.command {
        Some(Sub::Sample { format }) => {
            let table = tables::sample(&project.load_sources()?)?;
            return render::write_captioned(&table, format, "Respondents (distinct cases) by method · role · gender and country", ctx.out);
        }
        Some(Sub::Countries { file, format }) => {
            let path = file.unwrap_or_else(|| project.root().join("countries.csv"));
            let table = tables::countries(&path)?;
            return render::write(&table, format, ctx.out);
        }
        None => {}
    }
    let (rows, depth) = parse_axis(&args.rows)?;
    if rows != "code" {
        return Err(Error::Usage(format!("--rows `{rows}`: rows are `code` or `code:DEPTH`")));
    }
    let (cols, col_depth) = parse_axis(&args.cols)?;
    let codebook = Codebook::load(&project.codebook_path())?;
    let all = tables::CodedUnits::load(&project)?;
    if let Some(unknown) = crate::coding::unknown::UnknownCodes::find(&codebook, all.codes.iter().zip(all.coding_counts.iter().copied())) {
        ctx.note(format_args!("warning: {unknown}"));
    }
    // Everything the table needs is read: writers need not wait while it is computed and printed.
    project.end_reading();
    let keys = all.attribute_keys();
    crate::corpus::filter::AttrFilter::check_all(&args.filters, &keys)?;
    let filters = crate::corpus::filter::AttrFilter::pairs(&args.filters);
    let counted = crate::coding::kinds::Counted::resolve(&args.coder, &all.coders, &project.manifest.coders);
    let coded = all.filtered(&filters, &counted);
    let freq = if cols == "code" {
        if args.percent.is_some() {
            return Err(Error::Usage("--percent is not available for the co-occurrence matrix".into()));
        }
        tables::cooccurrence(&codebook, &coded, depth.or(col_depth), args.count)?
    } else {
        if !keys.contains(&cols) {
            return Err(Error::Usage(format!(
                "--cols: unknown attribute `{cols}` (known: code, {})",
                keys.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
        tables::code_by_attribute(&codebook, &coded, depth, &cols, args.count, args.percent)?
    };
    let indent = matches!(args.format, TableFormat::Text | TableFormat::Md | TableFormat::Tex | TableFormat::Html);
    let mut table = freq.to_table(indent, cols != "code");
    if args.format == TableFormat::Tex && !args.internal_columns {
        table = render::without_columns(&table, &render::INTERNAL_COLUMNS);
    }
    let caption = format!("{}; codings of {}", caption(args.count, args.percent, &cols), counted.describe());
    render::write_captioned(&table, args.format, &caption, ctx.out)
}

/// What the cells of a frequency table count, for its caption.
fn caption(count: Count, percent: Option<Percent>, cols: &str) -> String {
    let (noun, which) = match count {
        Count::Respondents => ("respondents", "respondents (distinct cases) with a coded segment"),
        Count::Segments => ("respondent segments", "coded respondent segments"),
        Count::Sources => ("sources", "sources with a coded segment"),
    };
    if cols == "code" {
        return format!("Counts: {noun} coded with both the row's and the column's code");
    }
    let of = match percent {
        None => String::new(),
        Some(Percent::Row) => ", as a percentage of the row's total".into(),
        Some(Percent::Col) => format!(", as a percentage of all {noun} in the column"),
        Some(Percent::Total) => format!(", as a percentage of all {noun}"),
    };
    format!("Counts: {which}, per code and {cols}{of}")
}
