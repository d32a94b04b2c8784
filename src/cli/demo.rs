//! `quire demo`: build the four country projects of the study from the shipped fixtures and
//! print what they hold.

use std::path::{Path, PathBuf};

use super::Ctx;
use std::collections::BTreeSet;

use super::quotes::write_hits;
use crate::codebook::{CodePath, Codebook};
use crate::coding::store;
use crate::corpus::Language;
use crate::index::{Hit, QuoteQuery, SegmentIndex};
use crate::merge::{self, Input, Merged};
use crate::output::out_err;
use crate::project::Manifest;
use crate::corpus::{Method, Role};
use crate::embedded;
use crate::error::{Error, Result};
use crate::output::{Format, Table};
use crate::project::{write_atomic, Project};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Work directory to create (default: a new directory under the system's temp folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// The study's countries, each a fixture project under `fixtures/first48/`.
pub const COUNTRIES: [&str; 4] = ["be", "fr", "de", "pt"];

fn work_dir(out: Option<PathBuf>) -> Result<PathBuf> {
    match out {
        Some(dir) => {
            let occupied = std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(false);
            if occupied {
                return Err(Error::Usage(format!("{}: --out must be a new or empty directory", dir.display())));
            }
            Ok(dir)
        }
        None => {
            let tmp = tempfile::Builder::new().prefix("quire-demo-").tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            Ok(tmp.keep())
        }
    }
}

/// Copies the shipped fixture project of one country to `dir` and opens it.
fn unpack(country: &str, dir: &Path) -> Result<Project> {
    for (name, bytes) in embedded::files_under(&format!("fixtures/first48/{country}/")) {
        write_atomic(&dir.join(name), bytes)?;
    }
    for sub in [crate::project::MEMOS_DIR, crate::project::STATE_DIR] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
    }
    Project::open(dir)
}

/// A title before a table, in the formats meant for reading.
fn heading(ctx: &mut Ctx<'_>, format: Format, title: &str) -> Result<()> {
    if matches!(format, Format::Text | Format::Md) {
        writeln!(ctx.out, "{title}\n").map_err(out_err)?;
    }
    Ok(())
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let dir = work_dir(args.out)?;
    let mut table = Table::new([
        "country", "sources", "interviews", "focus_groups", "respondents", "PR", "EPR", "PI", "PE", "women", "segments", "codings",
    ]);
    for country in COUNTRIES {
        let project_dir = dir.join(country);
        let project = unpack(country, &project_dir)?;
        let sources = project.load_sources()?;
        let codings = store::read_all(&project)?.len();
        let respondents: Vec<_> = sources.iter().flat_map(|s| s.respondents().map(|(_, r)| r.clone())).collect();
        let role = |role: Role| respondents.iter().filter(|r| r.role == role).count().to_string();
        table.push(vec![
            country.to_uppercase(),
            sources.len().to_string(),
            sources.iter().filter(|s| s.method == Method::Interview).count().to_string(),
            sources.iter().filter(|s| s.method == Method::FocusGroup).count().to_string(),
            respondents.len().to_string(),
            role(Role::Prisoner),
            role(Role::FormerPrisoner),
            role(Role::ProfessionalInside),
            role(Role::ProfessionalOutside),
            respondents.iter().filter(|r| r.gender == Some(crate::corpus::Gender::Female)).count().to_string(),
            sources.iter().map(|s| s.segments.len()).sum::<usize>().to_string(),
            codings.to_string(),
        ]);
        ctx.note(format_args!("{}: {} sources, {codings} codings in {}", country.to_uppercase(), sources.len(), project_dir.display()));
    }
    heading(ctx, args.format, "Sample by country")?;
    table.write(args.format, ctx.out)?;

    // Merge the four countries into one framework.
    let merged_dir = dir.join("first48");
    let inputs: Vec<(PathBuf, Input)> =
        COUNTRIES.iter().map(|c| Input::read(&dir.join(c)).map(|i| (dir.join(c), i))).collect::<Result<_>>()?;
    let codebook = inputs[0].1.codebook.clone();
    let base = Merged { codebook, sources: Default::default(), codings: Default::default(), reports: Vec::new() };
    let merged = merge::merge(base, &inputs, &[], false)?;
    let project = Project::init(&merged_dir, Manifest::new("first48", Language::English, "fixture"), merged.codebook.to_json().as_bytes())?;
    super::merge::write_all(&project, &merged, &merge::report_md(&merged))?;
    ctx.note(format_args!("merged the four countries into {}", merged_dir.display()));

    // Themes x countries: respondents (distinct speakers) with at least one coded segment.
    let codebook = Codebook::load(&project.codebook_path())?;
    let (index, _) = SegmentIndex::open(&project, false)?;
    let countries: Vec<String> = COUNTRIES.iter().map(|c| c.to_uppercase()).collect();
    let mut themes = Table::new(std::iter::once("theme".to_string()).chain(countries.iter().cloned()).chain(["total".to_string()]));
    let mut quotes = Vec::new();
    for code in &codebook.codes {
        let path = CodePath::new(vec![code.id.clone()]);
        let hits = index.search(&QuoteQuery { codes: vec![vec![path]], ..Default::default() })?;
        let respondents = |country: Option<&str>| {
            hits.iter().filter(|h| country.is_none_or(|c| h.country == c)).map(|h| (&h.source, &h.speaker)).collect::<BTreeSet<_>>().len()
        };
        let mut row = vec![code.name.clone()];
        row.extend(countries.iter().map(|c| respondents(Some(c)).to_string()));
        row.push(respondents(None).to_string());
        themes.push(row);
        // Three quotes per theme, from different countries where possible.
        let mut picked: Vec<&Hit> = Vec::new();
        for country in &countries {
            if let Some(h) = hits.iter().find(|h| &h.country == country && h.text.len() < 400) {
                picked.push(h);
            }
        }
        quotes.push((code.name.clone(), picked.into_iter().take(3).cloned().collect::<Vec<_>>()));
    }
    writeln!(ctx.out).map_err(out_err)?;
    heading(ctx, args.format, "Respondents per theme and country (merged project)")?;
    themes.write(args.format, ctx.out)?;
    if args.format == Format::Text {
        for (theme, hits) in &quotes {
            writeln!(ctx.out, "\n## {theme}\n").map_err(out_err)?;
            write_hits(hits, Format::Text, ctx.out)?;
        }
    }
    ctx.note(format_args!("demo projects are in {}", dir.display()));
    Ok(())
}
