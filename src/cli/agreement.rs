//! `quire agreement`: compare coders per code and overall, by segment or by character.

use super::Ctx;
use crate::agreement::{compare, disagreements, Unit};
use crate::codebook::{CodePath, Codebook};
use crate::coding::Coder;
use crate::error::{Error, Result};
use crate::output::Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Coders to compare, comma-separated (two or more).
    #[arg(long, value_delimiter = ',', required = true)]
    pub coders: Vec<String>,
    /// Codes to compare (descendants count for them), comma-separated or repeated; default:
    /// every code any of them used.
    #[arg(long = "code", value_name = "PATH[,PATH]", value_delimiter = ',')]
    pub codes: Vec<String>,
    #[arg(long, value_enum, default_value = "segment")]
    pub unit: Unit,
    /// Also report each value of this attribute separately (only `country` so far).
    #[arg(long, value_name = "ATTR")]
    pub by: Option<String>,
    /// Instead of the agreement table, list the respondent segments where the coders differ
    /// (on any compared code): segment, citation, text and each coder's codes, for a consensus
    /// meeting (`--format csv` or `md`). Always by segment.
    #[arg(long, conflicts_with = "by")]
    pub disagreements: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    let coders: Vec<Coder> = args.coders.iter().map(|c| c.parse().map_err(Error::Usage)).collect::<Result<_>>()?;
    if let Some(by) = &args.by {
        if by != "country" {
            return Err(Error::Usage(format!("--by `{by}`: only `country` is supported")));
        }
    }
    let codebook = Codebook::load(&project.codebook_path())?;
    let codes: Vec<CodePath> = args.codes.iter().map(|c| codebook.resolve(c.trim())).collect::<Result<_>>()?;
    if args.disagreements {
        let (table, shared) = disagreements(&project, &coders, &codes)?;
        table.write(args.format, ctx.out)?;
        ctx.note(format_args!("{} segment(s) where the {} coders differ, in {shared} shared source(s)", table.rows.len(), coders.len()));
        return Ok(());
    }
    let (table, shared) = compare(&project, &coders, &codes, args.unit, args.by.is_some())?;
    table.write(args.format, ctx.out)?;
    ctx.note(format_args!(
        "{} coders, {shared} shared source(s), unit: {}",
        coders.len(),
        match args.unit {
            Unit::Segment => "segment",
            Unit::Char => "character",
        }
    ));
    Ok(())
}
