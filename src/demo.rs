//! The demo study: the four coded country projects copied from the shipped fixtures, and merged
//! into one framework project (`quire demo`).

use std::path::{Path, PathBuf};

use crate::corpus::Language;
use crate::embedded;
use crate::error::{Error, Result};
use crate::merge::{self, Input, Merged};
use crate::project::{write_atomic, Manifest, Project};

/// The study's countries, each a fixture project under `fixtures/first48/`.
pub const COUNTRIES: [&str; 4] = ["be", "fr", "de", "pt"];

/// Copies the shipped fixture project of one country to `dir` and opens it.
pub fn unpack(country: &str, dir: &Path) -> Result<Project> {
    for (name, bytes) in embedded::files_under(&format!("fixtures/first48/{country}/")) {
        write_atomic(&dir.join(name), bytes)?;
    }
    for sub in [crate::project::MEMOS_DIR, crate::project::STATE_DIR] {
        let p = dir.join(sub);
        std::fs::create_dir_all(&p).map_err(|e| Error::io(&p, e))?;
    }
    Project::open(dir)
}

/// Merges the country projects `inputs` into a new project `first48` in `dir`.
pub fn merge_countries(dir: &Path, inputs: &[(PathBuf, Input)]) -> Result<Project> {
    let base = Merged {
        codebook: inputs[0].1.codebook.clone(),
        sources: Default::default(),
        codings: Default::default(),
        reports: Vec::new(),
        kinds: Default::default(),
    };
    let merged = merge::merge(base, inputs, &[], false)?;
    let project = Project::init(
        &dir.join("first48"),
        Manifest::new("first48", Language::English, "fixture".parse().expect("valid coder")),
        merged.codebook.to_json().as_bytes(),
    )?;
    merge::write_all(&project, &merged, &merge::report_md(&merged))?;
    // Opened again: the merge wrote the coder kinds into the manifest.
    Project::open(project.root())
}

/// Writes the country context table into the merged project and returns its path.
pub fn write_countries(project: &Project) -> Result<PathBuf> {
    let countries_csv = project.root().join("countries.csv");
    write_atomic(&countries_csv, embedded::file("fixtures/first48/countries.csv").expect("the country table is embedded"))?;
    Ok(countries_csv)
}
