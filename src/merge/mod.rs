//! Merging per-country projects into one: codes aligned by id path, then REFI guid, then a mapping
//! file, then the path of their names (guids rewritten by another program); unalignable codes kept under `unaligned/<project>/`; colliding sources refused; every
//! coding keeps its origin project. Everything is decided in memory before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::codebook::{Code, CodePath, Codebook};
use crate::coding::kinds::CoderKinds;
use crate::coding::store;
use crate::coding::{Coder, Coding};
use crate::corpus::transcript;
use crate::csv_rows::Rows;
use crate::error::{Error, Location, Result};
use crate::project::Project;

pub mod write;
pub use write::{into_existing, into_new, write_all, Options, Outcome, REPORT};

/// One input project, read whole.
pub struct Input {
    pub name: String,
    pub codebook: Codebook,
    /// Canonical bytes of each source file.
    pub sources: BTreeMap<String, Vec<u8>>,
    pub codings: Vec<Coding>,
    /// The input project's coder kinds (none for a `.qdpx`).
    pub kinds: CoderKinds,
}

/// Is `path` a REFI-QDA project file (`.qdpx`) rather than a project directory?
pub fn is_qdpx(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("qdpx")) && !path.is_dir()
}

/// An imported `.qdpx` as a merge input: merge depends on the REFI-QDA reader, never the other way.
impl From<crate::refi::import::Imported> for Input {
    fn from(imported: crate::refi::import::Imported) -> Input {
        Input {
            name: imported.name,
            codebook: imported.codebook,
            sources: imported.sources.iter().map(|s| (s.id.to_string(), transcript::render(s).into_bytes())).collect(),
            codings: imported.codings,
            kinds: CoderKinds::default(),
        }
    }
}

impl Input {
    /// Reads a project directory, or a `.qdpx` file converted in memory (import defaults).
    pub fn read(dir: &Path) -> Result<Input> {
        if is_qdpx(dir) {
            return Ok(crate::refi::import::read(dir, &crate::refi::import::Options::default())?.into());
        }
        let project = Project::open(dir)?;
        let codebook = Codebook::load(&project.codebook_path())?;
        let mut sources = BTreeMap::new();
        for source in project.load_sources()? {
            sources.insert(source.id.to_string(), transcript::render(&source).into_bytes());
        }
        Ok(Input {
            name: project.manifest.name.clone(),
            codebook,
            sources,
            codings: store::read_all(&project)?,
            kinds: project.manifest.coders.clone(),
        })
    }
}

/// A row of the mapping file: `project,from,to` (empty project: any input).
#[derive(Debug, Clone)]
pub struct MapRow {
    pub project: Option<String>,
    pub from: String,
    pub to: CodePath,
    pub line: usize,
}

/// Reads `project,from,to`; every `to` must name a code of the target codebook.
pub fn read_mapping(path: &Path, target: &Codebook) -> Result<Vec<MapRow>> {
    let mut input = Rows::open(path, &csv::ReaderBuilder::new())?;
    let headers: Vec<String> = input.headers()?.iter().map(|h| h.trim().to_string()).collect();
    if headers != ["project", "from", "to"] {
        return Err(Error::invalid(Location::line(path, 1), "a mapping file has the columns `project,from,to`"));
    }
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while let Some(line) = input.read(&mut record)? {
        let to = target.resolve(&record[2]).map_err(|e| Error::invalid(Location::line(path, line), format!("`to`: {e}")))?;
        let project = Some(record[0].trim().to_string()).filter(|p| !p.is_empty());
        rows.push(MapRow { project, from: record[1].trim().to_string(), to, line });
    }
    Ok(rows)
}

/// How one input's codes were aligned, and what it brought.
#[derive(Debug, Default)]
pub struct InputReport {
    pub name: String,
    pub sources: usize,
    pub new_sources: usize,
    pub codings: usize,
    pub by_path: usize,
    pub by_guid: usize,
    pub by_map: usize,
    /// Codes aligned by the names of their path only (the input's guids and ids differ), as
    /// (input path, merged path).
    pub by_name: Vec<(CodePath, CodePath)>,
    pub unaligned: Vec<(CodePath, CodePath)>,
    pub conflicts: Vec<String>,
    /// Merged before into this project: its codings there were replaced by its codings now.
    pub merged_before: bool,
    /// Since that merge: codings the input has that it did not have, and codings it no longer has.
    pub added_since: usize,
    pub removed_since: usize,
}

/// The merged project, in memory.
pub struct Merged {
    pub codebook: Codebook,
    pub sources: BTreeMap<String, Vec<u8>>,
    pub codings: BTreeMap<Coder, Vec<Coding>>,
    pub reports: Vec<InputReport>,
    /// Coder kinds: the target's, then each input's for coders not yet given one.
    pub kinds: CoderKinds,
}

fn guid_key(g: &str) -> String {
    g.trim_matches(|c| c == '{' || c == '}').to_lowercase()
}

/// The path of names (as [`crate::refi::codebook::name_key`]) of the code at `path`.
fn names_of(codebook: &Codebook, path: &CodePath) -> Option<Vec<String>> {
    (1..=path.depth()).map(|n| codebook.get(&CodePath::new(path.ids()[..n].to_vec())).map(|c| crate::refi::codebook::name_key(&c.name))).collect()
}

/// An input whose codebook differs from the merged one.
struct Drift {
    input: String,
    differences: Vec<String>,
}

/// Differences shown in a refusal, per input; the full list goes to a file.
const SHOWN: usize = 5;

/// The refusal of drifted inputs: counts and the first differences of each input, and the full
/// list in a file in the temporary directory, whose path the message names.
fn drift_refusal(drifted: &[Drift]) -> String {
    let mut full = String::new();
    let mut summary = String::new();
    for d in drifted {
        let only_in = d.differences.iter().filter(|x| x.starts_with("only in the input")).count();
        let _ = write!(
            summary,
            "\n  {}: {} difference(s): {only_in} code(s) only in the input, {} missing from it",
            d.input,
            d.differences.len(),
            d.differences.len() - only_in
        );
        for x in d.differences.iter().take(SHOWN) {
            let _ = write!(summary, "\n    {x}");
        }
        if d.differences.len() > SHOWN {
            let _ = write!(summary, "\n    ... and {} more", d.differences.len() - SHOWN);
        }
        let _ = writeln!(full, "# {}", d.input);
        for x in &d.differences {
            let _ = writeln!(full, "{x}");
        }
    }
    let total: usize = drifted.iter().map(|d| d.differences.len()).sum();
    let listed = if total > SHOWN * drifted.len() {
        let written = tempfile::Builder::new()
            .prefix("quire-merge-drift-")
            .suffix(".txt")
            .tempfile()
            .and_then(|f| {
                std::fs::write(f.path(), &full)?;
                f.keep().map_err(|e| e.error)
            })
            .map(|(_, path)| path);
        match written {
            Ok(path) => format!("\nthe full list: {}", path.display()),
            Err(e) => format!("\n(the full list could not be written: {e})"),
        }
    } else {
        String::new()
    };
    format!(
        "the inputs' codebooks differ from the merged codebook (pass --allow-drift to merge anyway, or --map to align renamed codes):{summary}{listed}"
    )
}

/// Codebook differences between an input and the target, by path (what `--allow-drift` accepts).
pub fn drift(input: &Codebook, target: &Codebook, aligned: &BTreeSet<CodePath>) -> Vec<String> {
    let mine: BTreeSet<CodePath> = input.walk().into_iter().map(|v| v.path).collect();
    let theirs: BTreeSet<CodePath> = target.walk().into_iter().map(|v| v.path).collect();
    let mut out = Vec::new();
    for p in mine.difference(&theirs) {
        if !aligned.contains(p) {
            out.push(format!("only in the input: {p}"));
        }
    }
    for p in theirs.difference(&mine) {
        if p.ids().first().is_none_or(|f| f != "unaligned") && !aligned.contains(p) {
            out.push(format!("missing from the input: {p}"));
        }
    }
    out
}

/// Adds `unaligned/<project>/<path>` with names from the input codebook; returns its path.
/// A valid code id made from a project's name: characters an id cannot hold become `-`
/// (`qc project` → `qc-project`).
fn id_from_name(name: &str) -> String {
    let mut id: String = name.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '-' }).collect();
    id = id.trim_start_matches('.').chars().take(64).collect();
    if id.is_empty() {
        id = "input".into();
    }
    debug_assert!(crate::codebook::valid_id(&id), "{id}");
    id
}

fn add_unaligned(target: &mut Codebook, project: &str, path: &CodePath, input: &Codebook) -> CodePath {
    let mut ids = vec!["unaligned".to_string(), id_from_name(project)];
    let mut names = vec!["Unaligned codes".to_string(), format!("Unaligned codes of {project}")];
    for (i, id) in path.ids().iter().enumerate() {
        ids.push(id.clone());
        let prefix = CodePath::new(path.ids()[..=i].to_vec());
        names.push(input.get(&prefix).map(|c| c.name.clone()).unwrap_or_else(|| id.clone()));
    }
    let mut siblings = &mut target.codes;
    for (id, name) in ids.iter().zip(&names) {
        let index = match siblings.iter().position(|c| &c.id == id) {
            Some(i) => i,
            None => {
                let mut code = Code::new(id, name);
                code.description = "Kept by `quire merge`: no code of the merged codebook matched it.".into();
                siblings.push(code);
                siblings.len() - 1
            }
        };
        siblings = &mut siblings[index].children;
    }
    CodePath::new(ids)
}

/// Aligns every code of an input's codebook (and any code its codings use) with `target`: by
/// path, by REFI guid, through the mapping file, then by the names of its path when both codes
/// have guids that differ. Returns the alignment and the codes none of these found, counting
/// each way in `report`.
fn align_codes(target: &Codebook, input: &Input, mapping: &[MapRow], report: &mut InputReport) -> (BTreeMap<CodePath, CodePath>, Vec<CodePath>) {
    let named = crate::refi::codebook::by_name_path(target);
    let mut alignment: BTreeMap<CodePath, CodePath> = BTreeMap::new();
    let mut used: BTreeSet<CodePath> = input.codebook.walk().into_iter().map(|v| v.path).collect();
    used.extend(input.codings.iter().map(|c| c.code.clone()));
    let mut unaligned = Vec::new();
    for path in &used {
        let code = input.codebook.get(path);
        let to = if target.get(path).is_some() {
            report.by_path += 1;
            Some(path.clone())
        } else if let Some(found) = code
            .and_then(|c| c.guid.as_deref())
            .and_then(|g| target.walk().into_iter().find(|v| v.code.guid.as_deref().is_some_and(|t| guid_key(t) == guid_key(g))).map(|v| v.path))
        {
            report.by_guid += 1;
            Some(found)
        } else if let Some(row) =
            mapping.iter().find(|r| r.project.as_deref().is_none_or(|p| p == input.name) && (r.from == path.to_string() || r.from == path.leaf()))
        {
            report.by_map += 1;
            Some(row.to.clone())
        } else if let Some(found) = code
            .filter(|c| c.guid.is_some())
            .and_then(|_| names_of(&input.codebook, path))
            .and_then(|n| named.get(&n))
            .filter(|found| target.get(found).is_some_and(|t| t.guid.is_some()))
        {
            report.by_name.push((path.clone(), found.clone()));
            Some(found.clone())
        } else {
            None
        };
        match to {
            Some(to) => {
                alignment.insert(path.clone(), to);
            }
            None => unaligned.push(path.clone()),
        }
    }
    (alignment, unaligned)
}

/// Merges `inputs` into `base` (an existing merged project's content, or empty).
///
/// Merging an input again replaces what it brought last time: the codings of `base` whose origin
/// is the input are dropped first (so a coding deleted in the input disappears), and codings made
/// in the merged project itself (no origin) are kept.
pub fn merge(mut base: Merged, inputs: &[(PathBuf, Input)], mapping: &[MapRow], allow_drift: bool) -> Result<Merged> {
    let mut origins: BTreeMap<String, String> = BTreeMap::new();
    let mut drifted = Vec::new();
    let mut before = take_previous(&mut base, inputs);
    for ((dir, input), previous) in inputs.iter().zip(before.iter_mut()) {
        let mut report = InputReport { name: input.name.clone(), sources: input.sources.len(), ..Default::default() };
        report.merged_before = !previous.is_empty();
        for (coder, kept, theirs) in base.kinds.absorb(&input.kinds) {
            report.conflicts.push(format!("coder `{coder}` is of kind {theirs} in {} but {kept} in the merge; kept {kept}", input.name));
        }
        let (mut alignment, unaligned) = align_codes(&base.codebook, input, mapping, &mut report);
        let aligned_elsewhere: BTreeSet<CodePath> =
            alignment.iter().filter(|(from, to)| from != to).flat_map(|(f, t)| [f.clone(), t.clone()]).collect();
        let differences = drift(&input.codebook, &base.codebook, &aligned_elsewhere);
        if !differences.is_empty() {
            drifted.push(Drift { input: format!("{} ({})", input.name, dir.display()), differences });
        }
        for path in unaligned {
            let to = add_unaligned(&mut base.codebook, &input.name, &path, &input.codebook);
            report.unaligned.push((path.clone(), to.clone()));
            alignment.insert(path, to);
        }
        for (id, bytes) in &input.sources {
            match base.sources.get(id) {
                Some(existing) if existing == bytes => {}
                Some(_) => {
                    let first = origins.get(id).cloned().unwrap_or_else(|| "the merged project".into());
                    return Err(Error::DuplicateSource { id: id.clone(), first: PathBuf::from(first), second: dir.clone() });
                }
                None => {
                    base.sources.insert(id.clone(), bytes.clone());
                    report.new_sources += 1;
                }
            }
            origins.entry(id.clone()).or_insert_with(|| dir.display().to_string());
        }
        let mut now = BTreeSet::new();
        for c in &input.codings {
            let mut c = c.clone();
            c.code = alignment[&c.code].clone();
            c.origin = Some(c.origin.clone().unwrap_or_else(|| input.name.clone()));
            now.insert(identity(&c));
            base.codings.entry(c.coder.clone()).or_default().push(c);
            report.codings += 1;
        }
        report.added_since = now.difference(previous).count();
        report.removed_since = previous.difference(&now).count();
        base.reports.push(report);
    }
    if !drifted.is_empty() && !allow_drift {
        return Err(Error::refused(drift_refusal(&drifted)));
    }
    for codings in base.codings.values_mut() {
        store::normalise(codings);
    }
    Ok(base)
}

/// A coding's identity across merges: its source, span, code and coder.
type Identity = (crate::corpus::SourceId, usize, usize, CodePath, Coder);

fn identity(c: &Coding) -> Identity {
    (c.source.clone(), c.start, c.end, c.code.clone(), c.coder.clone())
}

/// Drops from `base` the codings an earlier merge brought from each input (by their origin: the
/// input's name, or the origins the input's own codings carry) and returns them per input.
fn take_previous(base: &mut Merged, inputs: &[(PathBuf, Input)]) -> Vec<BTreeSet<Identity>> {
    let origins: Vec<BTreeSet<String>> =
        inputs.iter().map(|(_, input)| input.codings.iter().filter_map(|c| c.origin.clone()).chain([input.name.clone()]).collect()).collect();
    let mut previous = vec![BTreeSet::new(); inputs.len()];
    for codings in base.codings.values_mut() {
        codings.retain(|c| match c.origin.as_ref().and_then(|o| origins.iter().position(|set| set.contains(o))) {
            Some(i) => {
                previous[i].insert(identity(c));
                false
            }
            None => true,
        });
    }
    previous
}

/// `merge-report.md`: per input, sources, codings, codes aligned each way, conflicts.
pub fn report_md(merged: &Merged) -> String {
    let mut s = String::from("# Merge report\n\n| input | sources | new sources | codings | codes by path | by guid | by mapping | unaligned |\n|---|---|---|---|---|---|---|---|\n");
    for r in &merged.reports {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            r.name,
            r.sources,
            r.new_sources,
            r.codings,
            r.by_path,
            r.by_guid,
            r.by_map,
            r.unaligned.len()
        );
    }
    let total: usize = merged.codings.values().map(Vec::len).sum();
    let _ = writeln!(s, "\nMerged project: {} sources, {total} codings, {} codes.\n", merged.sources.len(), merged.codebook.len());
    for r in &merged.reports {
        if !r.unaligned.is_empty() || !r.conflicts.is_empty() || !r.by_name.is_empty() || r.merged_before {
            let _ = writeln!(s, "## {}\n", r.name);
            if r.merged_before {
                let _ = writeln!(s, "Merged before: since then {} coding(s) added and {} removed in {}.\n", r.added_since, r.removed_since, r.name);
            }
            if !r.by_name.is_empty() {
                let _ = writeln!(
                    s,
                    "{} code(s) aligned by the names of their path only (their guids differ: another program may have rewritten them):\n",
                    r.by_name.len()
                );
            }
            for (from, to) in &r.by_name {
                let _ = writeln!(s, "- by name path (guids differ): `{from}` taken for `{to}`");
            }
            for (from, to) in &r.unaligned {
                let _ = writeln!(s, "- unaligned: `{from}` kept as `{to}`");
            }
            for c in &r.conflicts {
                let _ = writeln!(s, "- conflict: {c}");
            }
            s.push('\n');
        }
    }
    s
}
