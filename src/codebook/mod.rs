//! The codebook: a versioned tree of codes, addressed by path or unique suffix, with its JSON file.

pub mod edit;
pub mod rule;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Location, Result, Severity};

/// The newest codebook format this build reads. It writes format 1 unless the codebook holds a
/// folder (a code with `"codable": false`, added in format 2), so a codebook without folders
/// still opens in builds that know only format 1, and one with folders is refused there as newer.
pub const CODEBOOK_FORMAT: u32 = 2;

/// The first format with folders (`"codable": false`).
pub const FOLDERS_FORMAT: u32 = 2;

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// A code's position in the tree: its ids from the top, e.g. `challenges/structural/housing`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CodePath(Vec<String>);

impl CodePath {
    pub fn new(ids: Vec<String>) -> CodePath {
        CodePath(ids)
    }

    /// Parses `a/b/c`; every id must be a valid path segment.
    pub fn parse(s: &str) -> Result<CodePath, String> {
        let ids: Vec<String> = s.split('/').map(str::to_string).collect();
        if ids.iter().all(|id| valid_id(id)) {
            Ok(CodePath(ids))
        } else {
            Err(format!("`{s}` is not a code path (ids joined by `/`)"))
        }
    }

    pub fn ids(&self) -> &[String] {
        &self.0
    }

    pub fn depth(&self) -> usize {
        self.0.len()
    }

    pub fn leaf(&self) -> &str {
        self.0.last().map(String::as_str).unwrap_or("")
    }

    pub fn parent(&self) -> Option<CodePath> {
        (self.0.len() > 1).then(|| CodePath(self.0[..self.0.len() - 1].to_vec()))
    }

    pub fn child(&self, id: &str) -> CodePath {
        let mut ids = self.0.clone();
        ids.push(id.to_string());
        CodePath(ids)
    }

    /// True if `self` is `other` or lies below it.
    pub fn starts_with(&self, other: &CodePath) -> bool {
        self.0.starts_with(&other.0)
    }

    fn ends_with(&self, suffix: &[&str]) -> bool {
        self.0.len() >= suffix.len() && self.0[self.0.len() - suffix.len()..].iter().zip(suffix).all(|(a, b)| a == b)
    }
}

impl fmt::Display for CodePath {
    /// The ids joined by `/`, written one by one (no joined copy is built).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(id)?;
        }
        Ok(())
    }
}

/// Is `id` usable as one path segment?
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.')) && !id.starts_with('.')
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Autocoding rule per language code (`en`, `nl`, `fr`, `de`, `pt`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rules: BTreeMap<String, String>,
    /// False for a folder: a code that groups others but cannot be applied (REFI `isCodable`).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub codable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Code>,
}

impl Code {
    pub fn new(id: &str, name: &str) -> Code {
        Code {
            id: id.to_string(),
            name: name.to_string(),
            description: String::new(),
            guid: None,
            color: None,
            rules: BTreeMap::new(),
            codable: true,
            children: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codebook {
    pub format: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    pub codes: Vec<Code>,
}

/// One code met in a walk of the tree, with its path and JSON location.
#[derive(Debug, Clone)]
pub struct Visit<'a> {
    pub path: CodePath,
    pub pointer: String,
    pub code: &'a Code,
}

impl Codebook {
    pub fn empty(name: &str) -> Codebook {
        Codebook { format: CODEBOOK_FORMAT, name: name.to_string(), title: None, languages: Vec::new(), codes: Vec::new() }
    }

    /// Parses codebook JSON without checking its content (see [`validate::validate`]).
    pub fn from_json(path: &Path, bytes: &[u8]) -> Result<Codebook> {
        // A newer format is refused as such, whether or not this build could read its fields.
        let too_new = |found: u64| Error::FormatTooNew { path: path.to_path_buf(), found: found as u32, supported: CODEBOOK_FORMAT };
        match serde_json::from_slice::<Codebook>(bytes) {
            Ok(codebook) if codebook.format > CODEBOOK_FORMAT => Err(too_new(codebook.format.into())),
            Ok(codebook) => Ok(codebook),
            Err(e) => {
                let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| json_error(path, &e))?;
                match value.get("format").and_then(|v| v.as_u64()) {
                    Some(found) if found > u64::from(CODEBOOK_FORMAT) => Err(too_new(found)),
                    _ => Err(json_error(path, &e)),
                }
            }
        }
    }

    /// Reads a codebook file and refuses one with validation errors.
    pub fn load(path: &Path) -> Result<Codebook> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let codebook = Codebook::from_json(path, &bytes)?;
        let issues: Vec<_> = validate::validate(&codebook).into_iter().filter(|i| i.severity == Severity::Error).collect();
        if !issues.is_empty() {
            return Err(Error::CodebookInvalid { path: path.to_path_buf(), issues });
        }
        Ok(codebook)
    }

    /// The codebook as written, refused if it does not validate: no command commits an invalid
    /// codebook (`path` names where it was to be written).
    pub fn checked_json(&self, path: &Path) -> Result<String> {
        let issues: Vec<_> = validate::validate(self).into_iter().filter(|i| i.severity == Severity::Error).collect();
        if !issues.is_empty() {
            return Err(Error::CodebookInvalid { path: path.to_path_buf(), issues });
        }
        Ok(self.to_json())
    }

    /// The oldest format that holds this codebook: 1, or 2 when it has a folder.
    pub fn format_needed(&self) -> u32 {
        if self.walk().iter().any(|v| !v.code.codable) {
            FOLDERS_FORMAT
        } else {
            1
        }
    }

    /// The JSON file, in the oldest format that holds it ([`Codebook::format_needed`]).
    pub fn to_json(&self) -> String {
        let needed = self.format_needed();
        let mut s = if self.format == needed {
            serde_json::to_string_pretty(self)
        } else {
            serde_json::to_string_pretty(&Codebook { format: needed, ..self.clone() })
        }
        .expect("codebook serialises");
        s.push('\n');
        s
    }

    /// Every code, depth first in file order.
    pub fn walk(&self) -> Vec<Visit<'_>> {
        fn go<'a>(codes: &'a [Code], parent: &CodePath, pointer: &str, out: &mut Vec<Visit<'a>>) {
            for (i, code) in codes.iter().enumerate() {
                let path = parent.child(&code.id);
                let here = format!("{pointer}[{i}]");
                out.push(Visit { path: path.clone(), pointer: here.clone(), code });
                go(&code.children, &path, &format!("{here}.children"), out);
            }
        }
        let mut out = Vec::new();
        go(&self.codes, &CodePath(Vec::new()), "$.codes", &mut out);
        out
    }

    pub fn len(&self) -> usize {
        self.walk().len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    pub fn get(&self, path: &CodePath) -> Option<&Code> {
        let mut codes = &self.codes;
        let mut found = None;
        for id in path.ids() {
            let code = codes.iter().find(|c| &c.id == id)?;
            codes = &code.children;
            found = Some(code);
        }
        found
    }

    pub fn get_mut(&mut self, path: &CodePath) -> Option<&mut Code> {
        let (first, rest) = path.ids().split_first()?;
        let mut code = self.codes.iter_mut().find(|c| &c.id == first)?;
        for id in rest {
            code = code.children.iter_mut().find(|c| &c.id == id)?;
        }
        Some(code)
    }

    /// Finds a code by full path or unique suffix (`housing`, `structural/housing`).
    pub fn resolve(&self, query: &str) -> Result<CodePath> {
        let parts: Vec<&str> = query.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
        if parts.is_empty() {
            return Err(Error::Usage("empty code path".into()));
        }
        let all = self.walk();
        if let Some(exact) = all.iter().find(|v| v.path.ids().iter().map(String::as_str).eq(parts.iter().copied())) {
            return Ok(exact.path.clone());
        }
        let matches: Vec<&Visit> = all.iter().filter(|v| v.path.ends_with(&parts)).collect();
        match matches.len() {
            1 => Ok(matches[0].path.clone()),
            0 => Err(Error::UnknownCode { query: query.to_string(), suggestions: suggestions(&all, &parts) }),
            _ => Err(Error::AmbiguousCode { query: query.to_string(), candidates: matches.iter().map(|v| v.path.to_string()).collect() }),
        }
    }

    /// [`Codebook::resolve`] for applying a code: a folder is refused, naming it.
    pub fn resolve_codable(&self, query: &str) -> Result<CodePath> {
        let path = self.resolve(query)?;
        match self.get(&path) {
            Some(code) if !code.codable => Err(Error::Usage(not_codable(&path, code))),
            _ => Ok(path),
        }
    }
}

/// Codes a misspelled query may have meant, best first (at most five): those whose id is a few
/// edits from its last part (`housng` → `.../housing`; for a path or suffix, those under the
/// parent it names first), then those whose id or name contains it.
fn suggestions(all: &[Visit<'_>], parts: &[&str]) -> Vec<String> {
    let last = parts.last().expect("non-empty").to_lowercase();
    let parent = &parts[..parts.len() - 1];
    let allowed = 1 + last.chars().count() / 5;
    let mut near: Vec<(usize, bool, &Visit)> = all
        .iter()
        .filter_map(|v| {
            let d = crate::text::edit_distance(&v.path.leaf().to_lowercase(), &last);
            let ids = v.path.ids();
            let above = &ids[..ids.len() - 1];
            let under = above.len() >= parent.len() && above[above.len() - parent.len()..].iter().map(String::as_str).eq(parent.iter().copied());
            (d <= allowed).then_some((d, !under, v))
        })
        .collect();
    near.sort_by_key(|(d, elsewhere, _)| (*d, *elsewhere));
    let containing = all.iter().filter(|v| {
        let id = v.path.leaf().to_lowercase();
        id.contains(&last) || last.contains(&id) || v.code.name.to_lowercase().contains(&last)
    });
    let mut out: Vec<String> = Vec::new();
    for path in near.into_iter().map(|(_, _, v)| v).chain(containing).map(|v| v.path.to_string()) {
        if !out.contains(&path) && out.len() < 5 {
            out.push(path);
        }
    }
    out
}

/// Why a folder cannot be applied, with its children as the codes to use instead.
pub fn not_codable(path: &CodePath, code: &Code) -> String {
    let children: Vec<String> = code.children.iter().filter(|c| c.codable).take(5).map(|c| path.child(&c.id).to_string()).collect();
    let instead = if children.is_empty() { String::new() } else { format!("; apply one of its codes instead ({})", children.join(", ")) };
    format!("`{path}` is a folder: it groups codes but cannot be applied{instead}")
}

fn json_error(path: &Path, e: &serde_json::Error) -> Error {
    Error::Invalid {
        location: Location { path: path.to_path_buf(), line: (e.line() > 0).then_some(e.line()) },
        message: format!("invalid codebook JSON: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distances() {
        use crate::text::edit_distance;
        assert_eq!(edit_distance("housng", "housing"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn a_newer_format_is_refused_as_such_whatever_its_fields() {
        let path = Path::new("codebook.json");
        let read = |json: &str| Codebook::from_json(path, json.as_bytes());
        assert_eq!(read(r#"{"format": 1, "name": "t", "codes": []}"#).unwrap().name, "t");
        for newer in [r#"{"format": 3, "name": "t", "codes": []}"#, r#"{"format": 3, "name": "t", "codes": {"tree": []}}"#] {
            let e = read(newer).unwrap_err();
            assert!(matches!(e, Error::FormatTooNew { found: 3, .. }), "{e}");
        }
        let e = read(r#"{"format": 1, "name": "t", "codes": {"tree": []}}"#).unwrap_err();
        assert!(!matches!(e, Error::FormatTooNew { .. }) && e.to_string().starts_with("codebook.json"), "{e}");
    }

    #[test]
    fn a_codebook_is_written_as_format_1_unless_it_holds_a_folder() {
        let path = Path::new("codebook.json");
        let plain = r#"{"format": 1, "name": "t", "codes": [{"id": "a", "name": "A", "children": [{"id": "b", "name": "B"}]}]}"#;
        let mut codebook = Codebook::from_json(path, plain.as_bytes()).unwrap();
        assert!(codebook.walk().iter().all(|v| v.code.codable));
        let json = codebook.to_json();
        assert!(json.starts_with("{\n  \"format\": 1,") && !json.contains("codable"), "{json}");
        codebook.codes[0].codable = false;
        let json = codebook.to_json();
        assert!(json.starts_with("{\n  \"format\": 2,") && json.contains("\"codable\": false"), "{json}");
        let back = Codebook::from_json(path, json.as_bytes()).unwrap();
        assert!(!back.codes[0].codable && back.codes[0].children[0].codable);
        assert_eq!(back.resolve("b").unwrap().to_string(), "a/b");
        let e = back.resolve_codable("a").unwrap_err().to_string();
        assert_eq!(e, "`a` is a folder: it groups codes but cannot be applied; apply one of its codes instead (a/b)");
    }
}
