//! Cases linked to their sources: by the guids of their `SourceRef`s, and, for a `SourceRef` that
//! points to no source (every QualCoder export has some), by name when the case's name
//! identifies one source. Each such case is reported by name and guid, as is a case with
//! variables and no `SourceRef` at all (QualCoder's re-export of a project it imported).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::codebook::name_key;
use super::{guid_key, Case, PlainText, Project, TextSource};

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

/// Every source's cases, by source guid ([`guid_key`]); a message per case whose `SourceRef`
/// points to no source in `warnings`.
pub fn link<'a>(project: &'a Project, warnings: &mut Vec<String>) -> HashMap<String, Vec<&'a Case>> {
    let guids: HashSet<String> = project.sources.iter().map(|s| guid_key(&s.guid)).collect();
    let keys: Vec<(String, HashSet<String>)> = project.sources.iter().map(|s| (guid_key(&s.guid), source_keys(s))).collect();
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
        if case.sources.is_empty() && !case.values.is_empty() {
            warnings.push(format!("case `{name}` (guid {}) is linked to no source; its variables are not imported", case.guid));
        }
        if dangling.is_empty() {
            continue;
        }
        let what = format!(
            "case `{name}` (guid {}) refers to {} {}, which {} not in the file",
            case.guid,
            if dangling.len() == 1 { "source" } else { "sources" },
            dangling.join(", "),
            if dangling.len() == 1 { "is" } else { "are" }
        );
        let wanted: HashSet<String> = [name_key(name)]
            .into_iter()
            .chain(Path::new(name).file_stem().and_then(|s| s.to_str()).map(name_key))
            .filter(|k| !k.is_empty())
            .collect();
        let matching: Vec<&(String, HashSet<String>)> = keys.iter().filter(|(_, k)| !k.is_disjoint(&wanted)).collect();
        let linked_here = |g: &str| case.sources.iter().any(|s| guid_key(s) == g);
        match matching.as_slice() {
            [(guid, _)] if !linked_here(guid) => {
                let source = project.sources.iter().find(|s| &guid_key(&s.guid) == guid).expect("a source of the file");
                let shown = source.name.as_deref().unwrap_or(&source.guid);
                warnings.push(format!("{what}; its name matches source `{shown}`, which takes its variables"));
                cases_of.entry(guid.clone()).or_default().push(case);
            }
            [_] => warnings.push(format!("{what}; its variables are not imported")),
            [] => warnings.push(format!("{what}; no source has its name, so its variables are not imported")),
            many => {
                let names: Vec<&str> = many
                    .iter()
                    .filter_map(|(g, _)| project.sources.iter().find(|s| &guid_key(&s.guid) == g))
                    .map(|s| s.name.as_deref().unwrap_or(&s.guid))
                    .collect();
                warnings.push(format!("{what}; its name matches several sources ({}), so its variables are not imported", names.join(", ")));
            }
        }
    }
    cases_of
}
