//! REFI-QDA codebooks (`.qdc`, namespace `urn:QDA-XML:codebook:1.0`) and the conversion between
//! REFI code trees and quire codebooks, shared with project import and export.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::model::QdeCode;
use super::qde::{self, XmlOut};
use super::{guid_key, stable_guid, CODEBOOK_NS};
use crate::codebook::validate::{valid_color, valid_guid};
use crate::codebook::{valid_id, Code, CodePath, Codebook};
use crate::error::{Error, Location, Result};

/// The REFI code tree of a quire codebook: a code without a guid gets a stable one derived from
/// its path, so exporting twice gives the same file.
pub fn to_refi(codebook: &Codebook) -> Vec<QdeCode> {
    fn go(codes: &[Code], parent: &CodePath) -> Vec<QdeCode> {
        codes
            .iter()
            .map(|c| {
                let path = parent.child(&c.id);
                QdeCode {
                    guid: c.guid.clone().filter(|g| valid_guid(g)).unwrap_or_else(|| stable_guid("code", &path.to_string())),
                    name: c.name.clone(),
                    codable: c.codable,
                    color: c.color.clone().filter(|col| valid_color(col)),
                    description: Some(c.description.clone()).filter(|d| !d.is_empty()),
                    children: go(&c.children, &path),
                    line: 0,
                }
            })
            .collect()
    }
    go(&codebook.codes, &CodePath::new(Vec::new()))
}

/// The codebook with every code's guid filled in as [`to_refi`] writes it.
pub fn with_guids(codebook: &Codebook) -> Codebook {
    fn go(codes: &mut [Code], refi: &[QdeCode]) {
        for (c, r) in codes.iter_mut().zip(refi) {
            c.guid = Some(r.guid.clone());
            go(&mut c.children, &r.children);
        }
    }
    let mut out = codebook.clone();
    go(&mut out.codes, &to_refi(codebook));
    out
}

/// A code id from a name: lower case, runs of other characters as `-`, at most 64 characters.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '_' {
            s.push(c);
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let mut s: String = s.trim_end_matches('-').chars().take(60).collect();
    s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        s = "code".into();
    }
    s
}

/// What converting a REFI code tree to quire produced besides the codes.
#[derive(Debug, Default)]
pub struct Converted {
    pub codes: Vec<Code>,
    /// Guid (as [`guid_key`]) of every code to its path.
    pub paths: HashMap<String, CodePath>,
    pub warnings: Vec<String>,
}

/// Ids and rules a quire export keeps for its codes (from the `quire/codebook.json` entry), by guid.
pub type Hints = HashMap<String, Code>;

/// Converts a REFI code tree to quire codes: ids from names (or from `hints`), unique among
/// siblings; colours that are not `#RGB`/`#RRGGBB` are dropped with a warning.
pub fn from_refi(codes: &[QdeCode], hints: &Hints) -> Converted {
    fn go(codes: &[QdeCode], parent: &CodePath, hints: &Hints, out: &mut Converted) -> Vec<Code> {
        let mut taken: HashSet<String> = HashSet::new();
        let mut result = Vec::new();
        for r in codes {
            let hint = hints.get(&guid_key(&r.guid));
            let base = hint.map(|h| h.id.clone()).filter(|id| valid_id(id)).unwrap_or_else(|| slug(&r.name));
            let mut id = base.clone();
            let mut n = 2;
            while !taken.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            let path = parent.child(&id);
            let name = if r.name.trim().is_empty() { id.clone() } else { r.name.clone() };
            let color = match &r.color {
                Some(c) if valid_color(c.trim()) => Some(c.trim().to_string()),
                Some(c) => {
                    out.warnings.push(format!("code `{}`: colour `{c}` is not #RRGGBB or #RGB; dropped", r.name));
                    None
                }
                None => None,
            };
            out.paths.insert(guid_key(&r.guid), path.clone());
            let children = go(&r.children, &path, hints, out);
            let mut code = Code::new(&id, &name);
            code.description = r.description.clone().unwrap_or_default();
            code.guid = Some(r.guid.trim_start_matches('{').trim_end_matches('}').to_string());
            code.color = color;
            code.rules = hint.map(|h| h.rules.clone()).unwrap_or_default();
            code.codable = r.codable;
            code.children = children;
            result.push(code);
        }
        result
    }
    let mut out = Converted::default();
    out.codes = go(codes, &CodePath::new(Vec::new()), hints, &mut out);
    out
}

/// A folder (`isCodable="false"`) that codings of the file use anyway becomes codable, so no
/// coding is lost; each such folder is named in `warnings`.
pub fn keep_codings_of_folders(codebook: &mut Codebook, codings: &[crate::coding::Coding], warnings: &mut Vec<String>) {
    let used: std::collections::BTreeSet<&CodePath> = codings.iter().map(|c| &c.code).collect();
    for path in used {
        if let Some(code) = codebook.get_mut(path).filter(|c| !c.codable) {
            code.codable = true;
            warnings.push(format!("`{path}` is marked not codable (isCodable=\"false\") but has codings; imported as a codable code"));
        }
    }
}

/// A `.qdc` file as read: the codes and what was set aside.
#[derive(Debug)]
pub struct Qdc {
    pub origin: Option<String>,
    pub codes: Vec<QdeCode>,
    pub warnings: Vec<String>,
}

/// Reads the `.qdc` codebook file at `path`, refusing one larger than an archive entry may be
/// (a codebook is kilobytes; the file is read whole).
pub fn read_qdc_file(path: &Path) -> Result<Qdc> {
    use std::io::Read;
    let max = super::archive::Limits::default().max_entry;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(|e| Error::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(Error::invalid(Location::file(path), format!("larger than the {} MiB quire reads of a codebook; refused", max >> 20)));
    }
    read_qdc(path, &bytes)
}

/// Reads a `.qdc` codebook file (bytes of `path`).
pub fn read_qdc(path: &Path, bytes: &[u8]) -> Result<Qdc> {
    let root = super::xml::parse(path, bytes)?;
    let at = |line: usize, message: String| Error::invalid(Location::line(path, line), message);
    if root.name != "CodeBook" {
        return Err(at(root.line, format!("not a REFI-QDA codebook: the root element is <{}>, not <CodeBook>", root.name)));
    }
    qde::check_namespace(&root, "codebook", CODEBOOK_NS, &at)?;
    qde::check_guids(&root, &at)?;
    let mut warnings = Vec::new();
    let codes = match root.child("Codes") {
        Some(c) => qde::read_codes(c, &at)?,
        None => return Err(at(root.line, "<CodeBook> has no <Codes>".into())),
    };
    if let Some(sets) = root.child("Sets") {
        if sets.children.is_empty() {
            warnings.push(format!("line {}: empty <Sets/> (the schema wants at least one <Set>); ignored", sets.line));
        } else {
            warnings.push(format!("{} code set(s) ignored (quire has no sets)", sets.children.len()));
        }
    }
    Ok(Qdc { origin: root.attr("origin").map(str::to_string), codes, warnings })
}

/// The `.qdc` XML of a codebook.
pub fn write_qdc(codebook: &Codebook) -> Result<String> {
    if codebook.codes.is_empty() {
        return Err(Error::refused("the codebook has no codes; a REFI-QDA codebook needs at least one"));
    }
    let mut out = XmlOut::new();
    let origin = super::origin();
    out.open("CodeBook", &[("xmlns", Some(CODEBOOK_NS)), ("origin", Some(origin.as_str()))]);
    out.open("Codes", &[]);
    qde::write_codes(&mut out, &to_refi(codebook));
    out.close("Codes");
    out.close("CodeBook");
    Ok(out.s)
}

/// What [`merge_into`] did.
#[derive(Debug, Default)]
pub struct MergeReport {
    pub added: Vec<CodePath>,
    pub by_guid: usize,
    pub by_path: usize,
    /// Codes found by the names of their path only (the file's guids and ids differ), with the
    /// code of the file and the code it was taken for.
    pub by_name: Vec<(CodePath, CodePath)>,
}

/// A name as compared along a path of names: trimmed, spaces collapsed, lower case.
pub fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Every code of `codebook` by the path of its names ([`name_key`]), when no other code has the
/// same path of names.
pub fn by_name_path(codebook: &Codebook) -> HashMap<Vec<String>, CodePath> {
    let mut found: HashMap<Vec<String>, Option<CodePath>> = HashMap::new();
    let mut names: HashMap<CodePath, Vec<String>> = HashMap::new();
    for v in codebook.walk() {
        let mut key = v.path.parent().and_then(|p| names.get(&p).cloned()).unwrap_or_default();
        key.push(name_key(&v.code.name));
        names.insert(v.path.clone(), key.clone());
        found.entry(key).and_modify(|e| *e = None).or_insert(Some(v.path));
    }
    found.into_iter().filter_map(|(k, v)| Some((k, v?))).collect()
}

/// Adds the codes of `incoming` missing from `target`: a code is present when a code with its
/// guid exists anywhere, or else one at the same path, or else (as a last resort, for files
/// whose guids another program rewrote: both codes have guids, and they differ) one with the
/// same path of names; children follow their parent.
pub fn merge_into(target: &mut Codebook, incoming: &[Code]) -> MergeReport {
    struct Walk<'a> {
        target: &'a mut Codebook,
        named: HashMap<Vec<String>, CodePath>,
        report: MergeReport,
    }
    fn go(w: &mut Walk<'_>, incoming: &[Code], parent: Option<(&CodePath, &CodePath)>, names: &[String]) {
        for code in incoming {
            let mut my_names = names.to_vec();
            my_names.push(name_key(&code.name));
            let by_guid = code.guid.as_deref().and_then(|g| {
                w.target.walk().into_iter().find(|v| v.code.guid.as_deref().is_some_and(|t| guid_key(t) == guid_key(g))).map(|v| v.path)
            });
            let mine = parent.map(|(p, _)| p.child(&code.id)).unwrap_or_else(|| CodePath::new(vec![code.id.clone()]));
            let here = parent.map(|(_, p)| p.child(&code.id)).unwrap_or_else(|| CodePath::new(vec![code.id.clone()]));
            let at = if let Some(found) = by_guid {
                w.report.by_guid += 1;
                found
            } else if w.target.get(&here).is_some() {
                w.report.by_path += 1;
                here
            } else if let Some(found) =
                w.named.get(&my_names).filter(|found| code.guid.is_some() && w.target.get(found).is_some_and(|t| t.guid.is_some())).cloned()
            {
                w.report.by_name.push((mine.clone(), found.clone()));
                found
            } else {
                let mut bare = code.clone();
                bare.children = Vec::new();
                let siblings = match parent {
                    Some((_, p)) => &mut w.target.get_mut(p).expect("parent was placed").children,
                    None => &mut w.target.codes,
                };
                siblings.push(bare);
                w.report.added.push(here.clone());
                here
            };
            go(w, &code.children, Some((&mine, &at)), &my_names);
        }
    }
    let named = by_name_path(target);
    let mut w = Walk { target, named, report: MergeReport::default() };
    go(&mut w, incoming, None, &[]);
    w.report
}
