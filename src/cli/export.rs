//! `quire export quotes`: one file of quotes per theme, grouped by subtheme, ordered by country
//! then source.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::quotes::Filter;
use super::Ctx;
use crate::codebook::{CodePath, Codebook};
use crate::error::{Error, Result};
use crate::index::{Hit, SegmentIndex};
use crate::output::{out_err, Format};
use crate::project::write_atomic;
use crate::quotes::write_hits;

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Write one file per theme, quotes grouped by subtheme.
    #[command(after_help = "Example:\n  quire export quotes --by-theme --out quotes --depth 2 --format md --where role=PR,EPR")]
    Quotes(QuotesArgs),
    /// Write the project as a REFI-QDA project file (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder.
    #[command(after_help = "Example:\n  quire export qdpx study.qdpx\n\n\
Users are the coders, codes keep their guids (a stable one is made for a code without), cases are\n\
the respondents with their attributes as variables, each source is a TextSource with its text in\n\
Sources/ and its transcript header in its Description, and each coded span is a PlainTextSelection\n\
per coder. Positions are Unicode code points of that text (LF line ends, no BOM), or UTF-16 code\n\
units with --positions utf16; --for nvivo also writes the texts with a BOM and CRLF line ends, as\n\
NVivo for Windows does.")]
    Qdpx(QdpxArgs),
}

#[derive(Debug, clap::Args)]
pub struct QdpxArgs {
    /// The .qdpx file to write (replaced atomically if it exists).
    pub out: PathBuf,
    /// What selection positions count: code points (the standard's unit) or UTF-16 code units (as
    /// NVivo reads them).
    #[arg(long, value_enum, value_name = "UNIT", conflicts_with = "target")]
    pub positions: Option<crate::refi::shape::ExportUnits>,
    /// Shape the file for a program: `nvivo` = UTF-16 positions, texts with a UTF-8 BOM and CRLF
    /// line ends (CRLF counting 2, the BOM not counted), as NVivo for Windows writes them.
    #[arg(long = "for", value_enum, value_name = "PROGRAM")]
    pub target: Option<crate::refi::shape::Target>,
}

#[derive(Debug, clap::Args)]
pub struct QuotesArgs {
    /// One file per theme (the only grouping so far; accepted for clarity).
    #[arg(long)]
    pub by_theme: bool,
    /// Directory to write the files into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Level of the codes that make a theme file: 1 = top-level themes, 2 = their subthemes.
    #[arg(long, default_value_t = 1)]
    pub depth: usize,
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    #[command(flatten)]
    pub filter: Filter,
}

pub fn run(command: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    match command {
        Sub::Quotes(a) => quotes(a, ctx),
        Sub::Qdpx(a) => qdpx(a, ctx),
    }
}

fn qdpx(args: QdpxArgs, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let shape = crate::refi::shape::Shape::new(args.positions, args.target);
    let s = crate::refi::export::export_to(&project, &args.out, shape, ctx.progress)?;
    ctx.note(format_args!(
        "{}: {} users, {} codes, {} variables, {} cases, {} sources, {} selections, {} codings",
        args.out.display(),
        s.users,
        s.codes,
        s.variables,
        s.cases,
        s.sources,
        s.selections,
        s.codings
    ));
    ctx.note(format_args!("{}", shape.says()));
    Ok(())
}

#[derive(Serialize)]
struct Group<'a> {
    code: String,
    name: String,
    quotes: Vec<&'a Hit>,
}

/// The code one level below `theme` on the way to `path` (the theme itself if `path` is the theme).
fn group_of(theme: &CodePath, path: &CodePath) -> CodePath {
    CodePath::new(path.ids()[..(theme.depth() + 1).min(path.depth())].to_vec())
}

fn quotes(args: QuotesArgs, ctx: &mut Ctx<'_>) -> Result<()> {
    if args.format == Format::Text {
        return Err(Error::Usage("export quotes writes md, csv or json".into()));
    }
    if args.depth == 0 {
        return Err(Error::Usage("--depth starts at 1 (top-level themes)".into()));
    }
    let project = ctx.project()?;
    let codebook = Codebook::load(&project.codebook_path())?;
    let (index, _) = SegmentIndex::open_reporting(&project, false, ctx.progress)?;
    let base = args.filter.to_query(&index, &project.manifest.coders, &codebook, None)?;
    let counted = base.coders.as_ref().map(|c| c.describe()).unwrap_or_default();
    let themes: Vec<CodePath> = codebook.walk().into_iter().filter(|v| v.path.depth() == args.depth).map(|v| v.path).collect();
    let ext = match args.format {
        Format::Md => "md",
        Format::Csv => "csv",
        _ => "json",
    };
    let mut written = 0;
    let mut withheld = 0;
    for theme in &themes {
        let mut query = base.clone();
        query.codes.push(vec![theme.clone()]);
        let found = index.search(&query)?;
        withheld += found.withheld;
        let hits = found.hits;
        // Group by subtheme, in codebook order; a quote coded under two subthemes is in both.
        let mut groups: BTreeMap<CodePath, Vec<&Hit>> = BTreeMap::new();
        for hit in &hits {
            let mut seen: Vec<CodePath> = hit.codes.iter().filter(|c| c.1.starts_with(theme)).map(|c| group_of(theme, &c.1)).collect();
            seen.sort();
            seen.dedup();
            for g in seen {
                groups.entry(g).or_default().push(hit);
            }
        }
        let order: Vec<CodePath> = codebook.walk().into_iter().map(|v| v.path).collect();
        let mut ordered: Vec<(CodePath, Vec<&Hit>)> = groups.into_iter().collect();
        ordered.sort_by_key(|(p, _)| order.iter().position(|o| o == p));
        let name = |p: &CodePath| codebook.get(p).map(|c| c.name.clone()).unwrap_or_default();
        let mut bytes: Vec<u8> = Vec::new();
        match args.format {
            Format::Md => {
                writeln!(bytes, "# {}\n\n`{theme}` · {} quote(s) · {}\n", name(theme), hits.len(), counted).map_err(out_err)?;
                for (group, quotes) in &ordered {
                    writeln!(bytes, "## {} (`{group}`)\n", name(group)).map_err(out_err)?;
                    let owned: Vec<Hit> = quotes.iter().map(|h| (*h).clone()).collect();
                    write_hits(&owned, Format::Md, &mut bytes)?;
                }
            }
            Format::Csv => {
                let owned: Vec<Hit> = ordered.iter().flat_map(|(_, q)| q.iter().map(|h| (*h).clone())).collect();
                write_hits(&owned, Format::Csv, &mut bytes)?;
            }
            _ => {
                let groups: Vec<Group> = ordered.into_iter().map(|(g, quotes)| Group { name: name(&g), code: g.to_string(), quotes }).collect();
                crate::output::write_json(&mut bytes, &serde_json::json!({ "theme": theme.to_string(), "name": name(theme), "groups": groups }))?;
            }
        }
        let file = args.out.join(format!("{}.{ext}", theme.ids().join("--")));
        write_atomic(&file, &bytes)?;
        written += 1;
        ctx.note(format_args!("{}: {} quote(s)", file.display(), hits.len()));
    }
    ctx.note(format_args!("{written} theme file(s) written to {}", args.out.display()));
    super::quotes::withheld_note(ctx, withheld);
    Ok(())
}
