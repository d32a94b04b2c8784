//! Cases linked to their sources: by the guids of their `SourceRef`s, and, for a `SourceRef` that
//! points to no source (every QualCoder export has some), by name when the case's name
//! identifies one source; so is a case with variables and no `SourceRef` at all (QualCoder's
//! re-export of a project it imported). Each such case is reported by name and guid.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::codebook::name_key;
use super::guid_key;
use super::model::{Case, PlainText, QdeProject, TextSource};

/// The names a source answers to: its name and its text file's, with and without extension.
fn source_keys(source: &TextSource) -> HashSet<String> {
    let mut keys = HashSet::new();
    let mut add = |name: &str| {
        let key = name_key(name);
        if !key.is_empty() {
            keys.insert(key);
        }
        if let Some(stem) = Path::new(name.trim()).file_stem().and_then(|s| s.to_str()) {
            let stem = name_key(stem);
            if !stem.is_empty() {
                keys.insert(stem);
            }
        }
    };
    if let Some(name) = &source.name {
        add(name);
    }
    if let PlainText::Path(p) = &source.text {
        add(p.rsplit('/').next().unwrap_or(p));
    }
    keys
}

/// The names a case may be known by: its name, without an extension, and the part before the
/// last `/` (quire names a case `SOURCE/SPEAKER` when no `case=` groups it).
fn case_keys(name: &str) -> HashSet<String> {
    let mut candidates = vec![name];
    if let Some(stem) = Path::new(name).file_stem().and_then(|s| s.to_str()) {
        candidates.push(stem);
    }
    if let Some((source, _)) = name.rsplit_once('/') {
        candidates.push(source);
    }
    candidates.into_iter().map(name_key).filter(|k| !k.is_empty()).collect()
}

/// Every source's cases, by source guid ([`guid_key`]). A case whose `SourceRef`s all point to no
/// source, or that has variables and no `SourceRef`, is linked by name when exactly one source has
/// its name; each such case gets a message in `warnings`.
pub fn link<'a>(project: &'a QdeProject, warnings: &mut Vec<String>) -> HashMap<String, Vec<&'a Case>> {
    let guids: HashSet<String> = project.sources.iter().map(|s| guid_key(&s.guid)).collect();
    let keys: Vec<(String, HashSet<String>)> = project.sources.iter().map(|s| (guid_key(&s.guid), source_keys(s))).collect();
    let shown = |guid: &str| -> &str {
        let source = project.sources.iter().find(|s| guid_key(&s.guid) == guid).expect("a source of the file");
        source.name.as_deref().unwrap_or(&source.guid)
    };
    let mut cases_of: HashMap<String, Vec<&Case>> = HashMap::new();
    for case in &project.cases {
        let mut dangling = Vec::new();
        for s in &case.sources {
            if guids.contains(&guid_key(s)) {
                cases_of.entry(guid_key(s)).or_default().push(case);
            } else {
                dangling.push(s.as_str());
            }
        }
        let name = case.name.as_deref().unwrap_or("").trim();
        let what = if case.sources.is_empty() {
            if case.values.is_empty() {
                continue;
            }
            format!("case `{name}` (guid {}) is linked to no source", case.guid)
        } else if dangling.is_empty() {
            continue;
        } else {
            format!(
                "case `{name}` (guid {}) refers to {} {}, which {} not in the file",
                case.guid,
                if dangling.len() == 1 { "source" } else { "sources" },
                dangling.join(", "),
                if dangling.len() == 1 { "is" } else { "are" }
            )
        };
        if dangling.len() < case.sources.len() {
            warnings.push(format!("{what}; ignored (the case keeps its other sources)"));
            continue;
        }
        let wanted = case_keys(name);
        let matching: Vec<&String> = keys.iter().filter(|(_, k)| !k.is_disjoint(&wanted)).map(|(g, _)| g).collect();
        match matching.as_slice() {
            [guid] => {
                warnings.push(format!("{what}; linked to source `{}` by its name", shown(guid)));
                cases_of.entry((*guid).clone()).or_default().push(case);
            }
            [] => warnings.push(format!("{what}; no source has its name, so its variables are not imported")),
            many => {
                let names: Vec<&str> = many.iter().map(|g| shown(g)).collect();
                warnings.push(format!("{what}; its name matches several sources ({}), so its variables are not imported", names.join(", ")));
            }
        }
    }
    cases_of
}
