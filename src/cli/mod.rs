//! Command-line interface: the argument types of every command and the dispatcher.

pub mod agreement;
pub mod autocode;
pub mod bench;
pub mod check;
pub mod code;
pub mod codebook;
pub mod coders;
pub mod demo;
pub mod export;
pub mod import;
pub mod index;
pub mod ingest;
pub mod init;
pub mod log;
pub mod merge;
pub mod orphans;
pub mod quotes;
pub mod report;
pub mod sheet;
pub mod show;
pub mod sources;
pub mod suggestions;
pub mod table;
pub mod tui;
pub mod undo;
pub mod verify;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::error::Result;
use crate::project::Project;

const ABOUT: &str = "Qualitative analysis of interview and focus-group transcripts.";
const EXAMPLES: &str = "\
Examples:
  quire init be --codebook codebook/first48.json
  quire --project be ingest fixtures/first48/be
  quire --project be show BE-PR-01";

#[derive(Debug, Parser)]
#[command(name = "quire", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    /// Project directory (default: the current directory or the nearest parent with a quire.toml).
    #[arg(long, global = true, value_name = "DIR")]
    pub project: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new project directory.
    #[command(after_help = "Example:\n  quire init be --codebook codebook/first48.json --language nl")]
    Init(init::Args),
    /// Read transcripts (files or directories) into the project.
    #[command(after_help = "Example:\n  quire ingest fixtures/first48/pt --cases cases.csv")]
    Ingest(ingest::Args),
    /// List the project's sources with attributes and segment counts.
    #[command(after_help = "Example:\n  quire sources --format csv > sources.csv")]
    Sources(sources::Args),
    /// Print one source's segments with ids (as `quire code` takes them), speakers, citations and codes.
    #[command(after_help = "Examples:\n  quire show PT-PR-01 --respondents\n  quire code PT-PR-01:4 housing   # a segment id as `show` prints it")]
    Show(show::Args),
    /// Read, check and edit the codebook.
    #[command(after_help = "Example:\n  quire codebook show housing")]
    #[command(subcommand)]
    Codebook(codebook::Sub),
    /// Code a segment, a range of segments or a character span.
    #[command(
        after_help = "Examples:\n  quire code PT-PR-01:14 housing\n  quire code PT-PR-01:14-16 housing stigma --coder ana\n  quire code PT-PR-01@120..388 structural/housing\n  quire code    # no target, on a terminal: the interactive coder (quire tui)"
    )]
    Code(code::Args),
    /// Remove codings inside a target (all of the coder's, or the codes named).
    #[command(after_help = "Example:\n  quire uncode PT-PR-01:14 housing")]
    Uncode(code::UncodeArgs),
    /// Code interactively in the terminal: sources, transcript, code picker, suggestions, undo.
    #[command(
        after_help = "Keys: j/k move, Tab switches pane, Enter or c codes, x removes, a/r accept/reject a suggestion,\nu undoes, / searches, ? lists every key, q quits.\n\nExample:\n  quire tui --coder ana"
    )]
    Tui(tui::Args),
    /// Export or import a CSV coding sheet.
    #[command(after_help = "Example:\n  quire sheet export > sheet.csv && quire sheet import sheet.csv --coder ana")]
    #[command(subcommand)]
    Sheet(sheet::Sub),
    /// Suggest codings where a segment's words match a code's rule for its language (stemmed).
    #[command(
        after_help = "Suggestions are recorded under a suggestion coder (default `auto`): they are not counted or quoted\nuntil accepted with `quire suggestions accept`.\n\nExamples:\n  quire autocode --dry-run --code housing\n  quire autocode && quire suggestions list --code housing"
    )]
    Autocode(autocode::Args),
    /// Review autocode's suggestions: list, accept (as your codings) or reject them.
    #[command(subcommand)]
    Suggestions(suggestions::Sub),
    /// The project's coders and their kinds (analysis, reliability, suggestion); set a kind.
    #[command(
        after_help = "Only analysis coders are counted by tables, quotes and the report unless --coder says otherwise.\n\nExamples:\n  quire coders\n  quire coders set fixture2 reliability"
    )]
    Coders(coders::Args),
    /// Codings orphaned by `ingest --replace` or `verify --repair`: list them with the most similar
    /// place in the current text, and re-attach them.
    #[command(subcommand)]
    Orphans(orphans::Sub),
    /// Print respondent quotes with citations, by text, code, attribute and coder.
    #[command(
        after_help = "Examples:\n  quire quotes --code housing --where country=DE,FR --where role=EPR\n  quire quotes 'logement OR \"sans abri\"' --format md --limit 5"
    )]
    Quotes(quotes::Args),
    /// Export quotes per theme (md, csv, json), or the project as a REFI-QDA .qdpx file.
    #[command(after_help = "Examples:\n  quire export quotes --by-theme --out quotes --depth 2\n  quire export qdpx study.qdpx")]
    #[command(subcommand)]
    Export(export::Sub),
    /// Create a project from a REFI-QDA project file (.qdpx).
    #[command(after_help = "Example:\n  quire import qdpx nvivo-export.qdpx --into study --role PR --country BE")]
    #[command(subcommand)]
    Import(import::Sub),
    /// Merge per-country projects (or .qdpx files) into one, aligning codes by path, guid and a mapping file.
    #[command(
        after_help = "Examples:\n  quire merge be fr de pt --into first48 --map renamed-codes.csv\n  quire merge be nvivo-pt.qdpx --into first48 --allow-drift"
    )]
    Merge(merge::Args),
    /// Frequency tables: codes × attribute, co-occurrence, the sample, the countries.
    #[command(
        after_help = "Examples:\n  quire table --rows code:2 --cols country --count respondents\n  quire table --rows code:1 --cols role --percent col --format tex\n  quire table --rows code:1 --cols code:1\n  quire table sample"
    )]
    Table(table::Args),
    /// Inter-coder agreement: percent agreement, Cohen's kappa, Krippendorff's alpha.
    #[command(after_help = "Example:\n  quire agreement --coders fixture,fixture2 --unit segment --by country")]
    Agreement(agreement::Args),
    /// Scan sources for likely identifiers (e-mails, phones, ID numbers, dates, addresses, names).
    #[command(after_help = "Example:\n  quire check --strict")]
    Check(check::Args),
    /// Write a self-contained HTML report: codebook with counts, heat map, sample, quotes.
    #[command(after_help = "Example:\n  quire report --out report.html --quotes 5")]
    Report(report::Args),
    /// Check the project's integrity (codebook, sources, codings, index); --repair fixes what it can; exit 1 if problems remain.
    #[command(
        after_help = "The search index is derived state: a stale or damaged one is rebuilt (and the output says so), with or\nwithout --repair; project files are changed only with --repair.\n\nExample:\n  quire verify --repair"
    )]
    Verify(verify::Args),
    /// Benchmark helpers: corpus generator, query timer.
    #[command(hide = true)]
    #[command(subcommand)]
    Bench(bench::Sub),
    /// Bring the search index up to date (it is also updated before every query).
    #[command(after_help = "Example:\n  quire index --rebuild")]
    Index(index::Args),
    /// List the project's writes: number, time, command line and what changed.
    #[command(after_help = "Example:\n  quire log --limit 10")]
    Log(log::Args),
    /// Revert the last write (or every write after --to N) byte for byte; undo again to redo.
    #[command(after_help = "Examples:\n  quire undo --dry-run\n  quire undo --to 12")]
    Undo(undo::Args),
    /// Build the study's four country projects from the shipped fixtures and summarise them.
    #[command(after_help = "Example:\n  quire demo --out /tmp/first48")]
    Demo(demo::Args),
}

/// Where a command writes: data to `out`, messages (progress, warnings, summaries) to `err`.
pub struct Ctx<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub project_dir: Option<PathBuf>,
    /// Where long steps report how far they are.
    pub progress: &'a dyn crate::progress::Progress,
}

impl Ctx<'_> {
    /// The project named by `--project`, else found from the current directory upwards.
    pub fn project(&self) -> Result<Project> {
        match &self.project_dir {
            Some(dir) => Project::open(dir),
            None => {
                let cwd = std::env::current_dir().map_err(|e| crate::Error::io(".", e))?;
                Project::discover(&cwd)
            }
        }
    }

    /// A message for the user on the error stream; failures to write it are ignored.
    pub fn note(&mut self, message: std::fmt::Arguments<'_>) {
        let _ = writeln!(self.err, "{message}");
    }
}

/// Runs a parsed command line, reporting the progress of long steps to `progress`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write, progress: &dyn crate::progress::Progress) -> Result<()> {
    let mut ctx = Ctx { out, err, project_dir: cli.project, progress };
    match cli.command {
        Command::Init(args) => init::run(args, &mut ctx),
        Command::Ingest(args) => ingest::run(args, &mut ctx),
        Command::Sources(args) => sources::run(args, &mut ctx),
        Command::Show(args) => show::run(args, &mut ctx),
        Command::Codebook(args) => codebook::run(args, &mut ctx),
        Command::Code(args) => code::run(args, &mut ctx),
        Command::Uncode(args) => code::run_uncode(args, &mut ctx),
        Command::Tui(args) => tui::run(args, &mut ctx),
        Command::Sheet(args) => sheet::run(args, &mut ctx),
        Command::Autocode(args) => autocode::run(args, &mut ctx),
        Command::Suggestions(args) => suggestions::run(args, &mut ctx),
        Command::Coders(args) => coders::run(args, &mut ctx),
        Command::Orphans(args) => orphans::run(args, &mut ctx),
        Command::Quotes(args) => quotes::run(args, &mut ctx),
        Command::Export(args) => export::run(args, &mut ctx),
        Command::Import(args) => import::run(args, &mut ctx),
        Command::Merge(args) => merge::run(args, &mut ctx),
        Command::Table(args) => table::run(args, &mut ctx),
        Command::Agreement(args) => agreement::run(args, &mut ctx),
        Command::Check(args) => check::run(args, &mut ctx),
        Command::Report(args) => report::run(args, &mut ctx),
        Command::Verify(args) => verify::run(args, &mut ctx),
        Command::Bench(args) => bench::run(args, &mut ctx),
        Command::Index(args) => index::run(args, &mut ctx),
        Command::Log(args) => log::run(args, &mut ctx),
        Command::Undo(args) => undo::run(args, &mut ctx),
        Command::Demo(args) => demo::run(args, &mut ctx),
    }
}
