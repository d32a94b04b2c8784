//! `quire sheet export|import`: a CSV coding sheet a team fills in a spreadsheet.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::code::coder_or_default;
use super::Ctx;
use crate::codebook::Codebook;
use crate::coding::sheet::{self, Mode};
use crate::coding::store::{self, CodingFile};
use crate::coding::Coder;
use crate::corpus::SourceId;
use crate::error::{Error, Result};
use crate::spreadsheet::Encoding;

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Write the sheet (one row per respondent segment) to stdout.
    #[command(
        after_help = "Examples:\n  quire sheet export --source PT-PR-01 --source PT-PR-02 > sheet.csv\n  quire sheet export --coder ana --suggestions > review.csv\n\n\
With --suggestions a last column `suggested` lists autocode's pending suggestions on each segment:\n\
copy the ones you accept into `codes`; importing the sheet as an analysis coder accepts them."
    )]
    Export {
        /// Only these sources (repeatable; default: all).
        #[arg(long = "source", value_name = "ID")]
        sources: Vec<String>,
        /// Pre-fill the codes column with this coder's whole-segment codings.
        #[arg(long)]
        coder: Option<Coder>,
        /// Add a `suggested` column with the pending suggestions of each segment.
        #[arg(long)]
        suggestions: bool,
    },
    /// Read a filled sheet's codes column as a coder's codings.
    #[command(after_help = "Example:\n  quire sheet import sheet.csv --coder ana --dry-run\n\n\
By default the listed codes the coder lacks are added and nothing is removed: a blank cell\n\
means \"no change\". With --sync each row's cell becomes exactly the coder's whole-segment\n\
codes on that segment (a blank cell removes them). Codings over part of a segment or over\n\
several are never touched. --dry-run prints each change (SEGMENT, + or -, CODE) and writes\n\
nothing.")]
    Import {
        file: PathBuf,
        #[arg(long)]
        coder: Option<Coder>,
        /// Make each row's codes exactly the coder's (removing codes a row does not list).
        #[arg(long)]
        sync: bool,
        /// Print the codings that would be added (+) and removed (-) per segment; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn run(command: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    let project = ctx.project()?;
    match command {
        Sub::Export { sources, coder, suggestions } => {
            let all = project.load_sources()?;
            let wanted: Vec<SourceId> = sources.iter().map(|s| SourceId::parse(s).map_err(Error::Usage)).collect::<Result<_>>()?;
            for id in &wanted {
                if !all.iter().any(|s| &s.id == id) {
                    return Err(Error::UnknownSource(id.to_string()));
                }
            }
            let chosen: Vec<_> = all.into_iter().filter(|s| wanted.is_empty() || wanted.contains(&s.id)).collect();
            let existing = match &coder {
                Some(c) => store::read(&store::path(&project, c, CodingFile::Anchored))?,
                None => Vec::new(),
            };
            let suggested = if suggestions { Some(crate::coding::suggestions::list(&project, &Default::default())?) } else { None };
            sheet::export(&chosen, &existing, suggested.as_deref(), ctx.out)
        }
        Sub::Import { file, coder, sync, dry_run } => {
            let _lock = project.lock()?;
            let codebook = Codebook::load(&project.codebook_path())?;
            let sources: BTreeMap<String, _> = project.load_sources()?.into_iter().map(|s| (s.id.to_string(), s)).collect();
            let filled = sheet::read(&file, &sources, &codebook)?;
            if filled.encoding != Encoding::Utf8 || filled.separator != b',' {
                ctx.note(format_args!(
                    "{}: read as {} with `{}` separators (as a spreadsheet saves \"CSV\" in some locales)",
                    file.display(),
                    filled.encoding,
                    filled.separator as char
                ));
            }
            let coder = coder_or_default(&project, coder)?;
            let mut codings = store::read(&store::path(&project, &coder, CodingFile::Anchored))?;
            let mode = if sync { Mode::Sync } else { Mode::Add };
            let applied = sheet::apply(&filled, &sources, &coder, mode, &mut codings);
            let mut accepted = 0;
            if dry_run {
                applied.write(ctx.out).map_err(crate::output::out_err)?;
            } else if !applied.segments.is_empty() {
                let mut tx = crate::project::txn::Transaction::new(&project);
                if project.manifest.coders.kind(&coder) == crate::coding::kinds::CoderKind::Analysis {
                    accepted = crate::coding::suggestions::stage_accepted(&project, &mut tx, &codings)?;
                }
                store::stage(&mut tx, &project, &coder, CodingFile::Anchored, &mut codings);
                tx.commit()?;
            }
            ctx.note(format_args!(
                "{}: {} segment(s) read; {} coding(s) {}added, {} removed for {coder}{}",
                file.display(),
                filled.segments.len(),
                applied.added(),
                if dry_run { "would be " } else { "" },
                applied.removed(),
                if dry_run { " (dry run: nothing written)" } else { "" }
            ));
            if accepted > 0 {
                ctx.note(format_args!("{accepted} pending suggestion(s) the sheet gave {coder} were accepted (no longer suggested)"));
            }
            if applied.kept > 0 {
                ctx.note(format_args!(
                    "{} whole-segment coding(s) of {coder} not listed in the sheet were kept (--sync would remove them)",
                    applied.kept
                ));
            }
            Ok(())
        }
    }
}
