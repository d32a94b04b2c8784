//! `quire agreement`: compare coders per code and overall, by segment or by character.

use super::Ctx;
use crate::agreement::{compare, Unit};
use crate::codebook::{CodePath, Codebook};
use crate::coding::Coder;
use crate::error::{Error, Result};
use crate::output::Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Coders to compare, comma-separated (two or more).
    #[arg(long, value_delimiter = ',', required = true)]
    pub coders: Vec<String>,
    /// Codes to compare (descendants count for them); default: every code any of them used.
    #[arg(long = "code", value_name = "PATH")]
    pub codes: Vec<String>,
    #[arg(long, value_enum, default_value = "segment")]
    pub unit: Unit,
    /// Also report each value of this attribute separately (only `country` so far).
    #[arg(long, value_name = "ATTR")]
    pub by: Option<String>,
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
    let codes: Vec<CodePath> = args.codes.iter().map(|c| codebook.resolve(c)).collect::<Result<_>>()?;
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
