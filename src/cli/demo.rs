//! `quire demo`: build the four country projects of the study from the shipped fixtures and
//! print what they hold.

use std::path::{Path, PathBuf};

use super::Ctx;
use crate::coding::store;
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
    table.write(args.format, ctx.out)?;
    ctx.note(format_args!("demo projects are in {}", dir.display()));
    Ok(())
}
