//! `quire import qdpx`: a new project from a REFI-QDA project file (NVivo, ATLAS.ti, MAXQDA,
//! QualCoder, qc, Taguette, quire), built beside the target and renamed into place.

use std::path::PathBuf;

use super::Ctx;
use crate::corpus::{Country, Language, Role};
use crate::error::Result;
use crate::output::{Format, Table};
use crate::refi::import::{Options, Report};
use crate::refi::positions::Units;

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Create a project from a .qdpx file: sources, codebook, case variables, codings per user.
    #[command(after_help = "Example:\n  quire import qdpx study.qdpx --into study --role PR --country BE --language nl\n\n\
Positions are read in the producer's units (NVivo: UTF-16 code units; ATLAS.ti: CRLF counts 1;\n\
others: Unicode code points) unless --positions says otherwise, and every selection is checked\n\
to land on text; when many do not, the other units are tried and one that lands them all is\n\
used (or the import is refused naming the --positions value that lands the most). Sources\n\
without a quire header become `body: plain` transcripts of one respondent R, whose role,\n\
gender and country come from the linked case's variables when present, else from --role and\n\
--country.")]
    Qdpx(QdpxArgs),
}

#[derive(Debug, clap::Args)]
pub struct QdpxArgs {
    /// The .qdpx file.
    pub file: PathBuf,
    /// The project directory to create (must not exist, or be empty).
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// How the file counts positions (default: detected from the program that wrote it).
    #[arg(long, value_enum, value_name = "UNITS")]
    pub positions: Option<Units>,
    /// Role of respondents whose case has no `role` variable.
    #[arg(long, default_value = "PR")]
    pub role: Role,
    /// Country of sources whose case and variables name none (XX: unknown).
    #[arg(long, default_value = "XX")]
    pub country: Country,
    /// Language of sources that do not say theirs (default en), and the project's (default: the
    /// most common language of the imported sources).
    #[arg(long)]
    pub language: Option<Language>,
    /// Format of the per-source report on stdout.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Read and check the file and print what the project would hold (the per-source report
    /// and the summary); create nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(command: Sub, ctx: &mut Ctx<'_>) -> Result<()> {
    match command {
        Sub::Qdpx(a) => qdpx(a, ctx),
    }
}

fn qdpx(args: QdpxArgs, ctx: &mut Ctx<'_>) -> Result<()> {
    let language = args.language.unwrap_or(Language::English);
    let options = Options { units: args.positions, role: args.role, country: args.country, language, ..Default::default() };
    let imported = crate::import::qdpx(&args.file, &args.into, &options, args.language, args.dry_run)?;
    report_table(&imported.report, args.format, ctx)?;
    let coded: Vec<String> = imported.coders.iter().map(|c| c.to_string()).collect();
    ctx.note(format_args!(
        "{} {} into {}: {} codes, {} sources, {} codings by {} coder(s){}{}",
        if args.dry_run { "would import" } else { "imported" },
        args.file.display(),
        args.into.display(),
        imported.codebook.len(),
        imported.sources.len(),
        imported.codings.len(),
        coded.len(),
        if coded.is_empty() { String::new() } else { format!(" ({})", coded.join(", ")) },
        if args.dry_run { " (dry run: nothing written)" } else { "" }
    ));
    for line in crate::import::notes(&imported.report) {
        ctx.note(format_args!("{line}"));
    }
    Ok(())
}

fn report_table(report: &Report, format: Format, ctx: &mut Ctx<'_>) -> Result<()> {
    let mut table = Table::new(["source", "name", "kind", "segments", "selections", "codings", "not_landing"]);
    for s in &report.sources {
        table.push(vec![
            s.id.to_string(),
            s.name.clone(),
            s.kind.to_string(),
            s.segments.to_string(),
            s.selections.to_string(),
            s.codings.to_string(),
            s.missed.to_string(),
        ]);
    }
    table.write(format, ctx.out)
}
