//! `quire demo`: build the four country projects of the study from the shipped fixtures and
//! print what they hold.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::cli::ingest;
use crate::corpus::{Language, Method, Role};
use crate::embedded;
use crate::error::{Error, Result};
use crate::output::{Format, Table};
use crate::project::{write_atomic, Manifest, Project};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Work directory to create (default: a new directory under the system's temp folder).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// The study's countries with the language their interviews were held in.
pub const COUNTRIES: [(&str, Language); 4] =
    [("be", Language::Dutch), ("fr", Language::French), ("de", Language::German), ("pt", Language::Portuguese)];

const CODEBOOK: &str = "codebook/first48.json";

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

/// Writes the shipped fixtures of one country under `dir` and returns the transcript paths.
fn unpack(country: &str, dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for (name, bytes) in embedded::files_under(&format!("fixtures/first48/{country}/")) {
        let path = dir.join(name);
        write_atomic(&path, bytes)?;
        paths.push(path);
    }
    Ok(paths)
}

pub fn run(args: Args, ctx: &mut Ctx<'_>) -> Result<()> {
    let dir = work_dir(args.out)?;
    let codebook = embedded::file(CODEBOOK).expect("the study codebook is embedded");
    let mut table = Table::new([
        "country", "sources", "interviews", "focus_groups", "respondents", "PR", "EPR", "PI", "PE", "women", "segments", "words",
    ]);
    for (country, language) in COUNTRIES {
        let project_dir = dir.join(country);
        let project = Project::init(&project_dir, Manifest::new(&format!("first48-{country}"), language, "fixture"), codebook)?;
        let files = unpack(country, &dir.join("transcripts").join(country))?;
        let sources: Vec<_> = ingest::ingest(&project, &files, None, false, false)?.sources.into_iter().map(|(s, _)| s).collect();
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
            sources.iter().map(|s| s.word_count()).sum::<usize>().to_string(),
        ]);
        ctx.note(format_args!("{}: {} sources ingested into {}", country.to_uppercase(), sources.len(), project_dir.display()));
    }
    table.write(args.format, ctx.out)?;
    ctx.note(format_args!("demo projects are in {}", dir.display()));
    Ok(())
}
