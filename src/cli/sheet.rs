//! `quire sheet export|import`: a CSV coding sheet a team fills in a spreadsheet.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::code::{coder_or_default, parse_coder};
use super::Ctx;
use crate::codebook::Codebook;
use crate::coding::store::{self, Kind};
use crate::coding::{sheet, Coder};
use crate::corpus::SourceId;
use crate::error::{Error, Result};

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Write the sheet (one row per respondent segment) to stdout.
    #[command(after_help = "Example:\n  quire sheet export --source PT-PR-01 --source PT-PR-02 > sheet.csv")]
    Export {
        /// Only these sources (repeatable; default: all).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Pre-fill the codes column with this coder's whole-segment codings.
        #[arg(long, value_parser = parse_coder)]
        coder: Option<Coder>,
    },
    /// Read a filled sheet's codes column as a coder's codings.
    #[command(after_help = "Example:\n  quire sheet import sheet.csv --coder ana")]
    Import {
        file: PathBuf,
        #[arg(long, value_parser = parse_coder)]
        coder: Option<Coder>,
    },
}

pub fn run(command: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    match command {
        Sub::Export { sources, coder } => {
            let all = project.load_sources()?;
            let wanted: Vec<SourceId> = sources.iter().map(|s| SourceId::parse(s).map_err(Error::Usage)).collect::<Result<_>>()?;
            for id in &wanted {
                if !all.iter().any(|s| &s.id == id) {
                    return Err(Error::UnknownSource(id.to_string()));
                }
            }
            let chosen: Vec<_> = all.into_iter().filter(|s| wanted.is_empty() || wanted.contains(&s.id)).collect();
            let existing = match &coder {
                Some(c) => store::read(&store::path(&project, c, Kind::Anchored))?,
                None => Vec::new(),
            };
            sheet::export(&chosen, &existing, ctx.out)
        }
        Sub::Import { file, coder } => {
            let _lock = project.lock()?;
            let codebook = Codebook::load(&project.codebook_path())?;
            let sources: BTreeMap<String, _> = project.load_sources()?.into_iter().map(|s| (s.id.to_string(), s)).collect();
            let filled = sheet::read(&file, &sources, &codebook)?;
            let coder = coder_or_default(&project, coder)?;
            let mut codings = store::read(&store::path(&project, &coder, Kind::Anchored))?;
            let (added, removed) = sheet::apply(&filled, &sources, &coder, &mut codings);
            store::write(&project, &coder, Kind::Anchored, &mut codings)?;
            ctx.note(format_args!(
                "{}: {} segment(s) read; {added} coding(s) added, {removed} removed for {coder}",
                file.display(),
                filled.segments.len()
            ));
            Ok(())
        }
    }
}
