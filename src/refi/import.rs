//! A `.qdpx` project as quire content: codebook, sources, codings per user, in memory.
//!
//! Sources. A source exported by quire carries its transcript header in the TextSource's
//! `Description`; when that header and the plain text parse as a transcript, the source comes
//! back exactly. Any other plain text becomes a `body: plain` transcript: the text unchanged
//! (BOM dropped, line ends LF), spoken by one respondent `R` whose attributes come from the case
//! linked to the source (case variables), else from the source's own variables, else from the
//! import defaults (`--role`, `--country`, `--language`). Every non-empty line is a segment.
//!
//! Positions are read in the producer's units ([`Units::detect`], or as told), mapped onto the
//! canonical text, and every selection's text is compared before and after; selections that do not
//! land cleanly are counted and described in the report.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::archive::{entry_location, Entries, Limits};
use super::codebook::{self, Hints};
use super::landing;
use super::model::{PlainText, QdeProject, TextSource, Value};
use super::positions::{normalise_line_ends, strip_bom, Miss, TextMap, Units};
use super::{guid_key, qde};
use crate::codebook::{validate, Codebook, CODEBOOK_FORMAT};
use crate::coding::{Coder, Coding};
use crate::corpus::{transcript, Country, Gender, Language, Method, Role, Source, SourceId};
use crate::error::{Error, Location, Result, Severity};

/// The entry where a quire export keeps its codebook JSON (ids and autocoding rules).
pub const CODEBOOK_ENTRY: &str = "quire/codebook.json";

/// Most bytes of selected text an import holds (each coding keeps its text): 128 MiB, twice the
/// coding files of quire's 1,000-interview benchmark; a real study's are a few MB.
const MAX_CODED_TEXT: usize = 128 << 20;

/// Most bytes of one source's plain text: 8 MiB, some 4,000 pages (a long interview is 200 kB).
/// Mapping positions onto it takes about 25 bytes a character.
const MAX_SOURCE_TEXT: usize = 8 << 20;

/// Choices for content the file does not carry.
#[derive(Debug, Clone)]
pub struct Options {
    /// Position units; `None`: detected from the producer (`origin`).
    pub units: Option<Units>,
    /// Role of a respondent whose case has no `role` variable.
    pub role: Role,
    /// Country of a source whose case and variables name none.
    pub country: Country,
    /// Language of sources that do not say theirs.
    pub language: Language,
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            units: None,
            role: Role::Prisoner,
            country: "XX".parse().expect("valid country"),
            language: Language::English,
            limits: Limits::default(),
        }
    }
}

/// One selection that did not land cleanly on text.
#[derive(Debug, Clone)]
pub struct MissReport {
    pub source: SourceId,
    pub selection: String,
    pub problem: Miss,
    pub text: String,
}

/// Per source: what it became and how its selections landed.
#[derive(Debug, Clone)]
pub struct SourceReport {
    pub id: SourceId,
    pub name: String,
    /// `restored` (a quire transcript) or `plain`.
    pub kind: &'static str,
    pub segments: usize,
    pub selections: usize,
    pub codings: usize,
    pub missed: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub origin: Option<String>,
    pub units: Option<Units>,
    pub detected: bool,
    /// The detected units and how many selections failed in them, when others were used.
    pub switched: Option<landing::Tally>,
    pub sources: Vec<SourceReport>,
    pub selections: usize,
    pub without_codings: usize,
    pub misses: Vec<MissReport>,
    /// Respondents given the default role / sources the default country.
    pub default_roles: usize,
    pub default_countries: usize,
    pub warnings: Vec<String>,
}

impl Report {
    pub fn landed(&self) -> usize {
        self.selections - self.misses.len()
    }

    /// Misses counted by kind.
    pub fn miss_counts(&self) -> BTreeMap<Miss, usize> {
        let mut counts = BTreeMap::new();
        for m in &self.misses {
            *counts.entry(m.problem).or_insert(0) += 1;
        }
        counts
    }
}

/// A REFI project converted to quire content.
#[derive(Debug)]
pub struct Imported {
    pub name: String,
    pub codebook: Codebook,
    pub sources: Vec<Source>,
    pub codings: Vec<Coding>,
    pub coders: Vec<Coder>,
    pub report: Report,
}

fn shown(archive: &Path, entry: &str) -> PathBuf {
    PathBuf::from(format!("{}!{entry}", archive.display()))
}

/// Reads and converts the `.qdpx` file at `path`.
pub fn read(path: &Path, options: &Options) -> Result<Imported> {
    let entries = Entries::read(path, options.limits)?;
    read_entries(path, entries, options)
}

/// [`read`] on a `.qdpx` already in memory; `path` names it in errors.
pub fn read_bytes(path: &Path, bytes: &[u8], options: &Options) -> Result<Imported> {
    let entries = Entries::from_reader(path, std::io::Cursor::new(bytes), options.limits)?;
    read_entries(path, entries, options)
}

fn read_entries(path: &Path, mut entries: Entries, options: &Options) -> Result<Imported> {
    let qde_name = find_qde(path, &entries)?;
    let qde_path = shown(path, &qde_name);
    // Its bytes are let go once read: the model holds what is needed of them.
    let project = qde::read(&qde_path, &entries.take(&qde_name).expect("found"))?;
    convert(path, &qde_path, &project, &entries, options)
}

/// `project.qde`, or the one `.qde` file at the top of the archive (ATLAS.ti names it after the project).
fn find_qde(path: &Path, entries: &Entries) -> Result<String> {
    if let Some((name, _)) = entries.find("project.qde") {
        return Ok(name.to_string());
    }
    let top: Vec<&str> = entries.names().filter(|n| !n.contains('/') && n.to_ascii_lowercase().ends_with(".qde")).collect();
    match top.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Error::invalid(Location::file(path), "no project.qde (nor any .qde file) at the top of the archive: not a REFI-QDA project")),
        many => Err(Error::invalid(Location::file(path), format!("several .qde files and no project.qde: {}", many.join(", ")))),
    }
}

fn hints(path: &Path, entries: &Entries, report: &mut Report) -> (Hints, Option<Codebook>) {
    let Some(bytes) = entries.get(CODEBOOK_ENTRY) else {
        return (Hints::new(), None);
    };
    match Codebook::from_json(&shown(path, CODEBOOK_ENTRY), bytes) {
        Ok(cb) => {
            let hints = cb.walk().iter().filter_map(|v| v.code.guid.as_ref().map(|g| (guid_key(g), v.code.clone()))).collect();
            (hints, Some(cb))
        }
        Err(e) => {
            report.warnings.push(format!("{e}; code ids are made from names instead"));
            (Hints::new(), None)
        }
    }
}

/// A source id from a name: letters, digits, `-`, `_`, `.`; other characters become `-`.
pub fn source_id_from(name: &str) -> Option<String> {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') || (c == '-' && !s.ends_with('-')) {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s: String = s.trim_start_matches(|c: char| !c.is_ascii_alphanumeric()).trim_end_matches('-').chars().take(100).collect();
    let s = s.trim_end_matches('-').to_string();
    SourceId::parse(&s).ok().map(|_| s)
}

/// A coder name from a user name: ASCII letters, digits, `-`, `_`.
fn coder_from(name: &str) -> String {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    s.trim_end_matches('-').chars().take(60).collect()
}

/// An attribute key from a variable name: lower case letters, digits, `-`, `_`, `.`.
fn key_from(name: &str) -> Option<String> {
    let mut s = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.') {
            s.push(c);
        } else if !s.is_empty() && !s.ends_with('-') {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    match s.chars().next() {
        None => None,
        Some(c) if c.is_ascii_alphabetic() || c == '_' => Some(s),
        Some(_) => Some(format!("v{s}")),
    }
}

/// A header or speaker value: one line, quoted when it has spaces, `#` or quotes.
fn header_value(v: &str) -> String {
    let v: String = v.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().replace('"', "'");
    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c == '#') {
        format!("\"{v}\"")
    } else {
        v
    }
}

/// Decodes a plain text: UTF-8 (BOM dropped later), or UTF-16 with a BOM.
fn decode_text(location: Location, bytes: &[u8]) -> Result<String> {
    let utf16 = |rest: &[u8], le: bool| {
        let units: Vec<u16> =
            rest.chunks_exact(2).map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) }).collect();
        String::from_utf16(&units).map_err(|_| Error::invalid(location.clone(), "invalid UTF-16 text"))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, false);
    }
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, column) = super::xml::line_and_column(bytes, at);
        Error::invalid(
            Location { line: Some(line), ..location.clone() },
            format!("invalid UTF-8 at column {column} (byte {at}); save the text as UTF-8"),
        )
    })
}

/// Why the plain text of source `label` is refused.
fn too_long(label: &str) -> String {
    format!("the plain text of source `{label}` holds more than {} MiB, the most quire reads for one source; refused", MAX_SOURCE_TEXT >> 20)
}

/// The plain text of a source and the entry it came from.
fn plain_text(path: &Path, qde: &Path, entries: &Entries, source: &TextSource) -> Result<(String, String)> {
    let at = Location::line(qde, source.line);
    let label = source.name.clone().unwrap_or_else(|| source.guid.clone());
    match &source.text {
        PlainText::Inline(text) if text.len() > MAX_SOURCE_TEXT => Err(Error::invalid(at, too_long(&label))),
        PlainText::Inline(text) => Ok((text.clone(), format!("{}:{}", qde.display(), source.line))),
        PlainText::Missing => Err(Error::invalid(at, format!("text source `{label}` has neither plainTextPath nor PlainTextContent"))),
        PlainText::Path(p) => {
            let Some(rel) = p.strip_prefix("internal://").or_else(|| (!p.contains("://")).then_some(p.as_str())) else {
                return Err(Error::invalid(
                    at,
                    format!("text source `{label}`: `{p}` is outside the archive; only internal:// sources can be imported"),
                ));
            };
            let rel = rel.trim_start_matches("./");
            let candidates = [rel.to_string(), format!("Sources/{rel}"), format!("sources/{rel}")];
            let Some((entry, bytes)) = candidates.iter().find_map(|c| entries.find(c)) else {
                return Err(Error::invalid(
                    entry_location(path, &format!("Sources/{rel}"), None),
                    format!("missing from the archive: the plain text of source `{label}` (plainTextPath `{p}`, {}:{})", qde.display(), source.line),
                ));
            };
            let text = decode_text(entry_location(path, entry, None), bytes)?;
            if text.len() > MAX_SOURCE_TEXT {
                return Err(Error::invalid(entry_location(path, entry, None), too_long(&label)));
            }
            Ok((text, entry.to_string()))
        }
    }
}

/// Parses a transcript made in memory; errors name `shown`.
fn parse_transcript(shown: &Path, text: &str, language: Language) -> Result<Source> {
    transcript::parse(shown, text.as_bytes(), language, None)
}

struct Attributes {
    source: Vec<(String, String)>,
    speaker: Vec<(String, String)>,
}

/// Variable values as `(key, value)` pairs, keys made attribute keys, in the variables' order.
fn values_of(values: &[Value], names: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for v in values {
        let Some(key) = names.get(&guid_key(&v.variable)).and_then(|n| key_from(n)) else { continue };
        if !v.value.trim().is_empty() && !out.iter().any(|(k, _)| *k == key) {
            out.push((key, v.value.trim().to_string()));
        }
    }
    out
}

pub fn convert(path: &Path, qde_path: &Path, project: &QdeProject, entries: &Entries, options: &Options) -> Result<Imported> {
    let mut report = Report { origin: project.origin.clone(), ..Default::default() };
    let planned = options.units.unwrap_or_else(|| Units::detect(project.origin.as_deref()));
    report.detected = options.units.is_none();
    // Every plain text first: the units are chosen by how the selections land on them.
    let texts: Vec<(String, String)> = project.sources.iter().map(|ts| plain_text(path, qde_path, entries, ts)).collect::<Result<_>>()?;
    let (units, switched) = {
        let stripped: Vec<&str> = texts.iter().map(|(t, _)| strip_bom(t)).collect();
        landing::decide(qde_path, project, &stripped, planned, !report.detected, &mut report.warnings)?
    };
    report.switched = switched;
    report.units = Some(units);
    for (what, n) in &project.ignored {
        report.warnings.push(format!("{n} × {what} not imported (quire has no place for it)"));
    }

    // The codebook.
    let (hints, embedded) = hints(path, entries, &mut report);
    let converted = codebook::from_refi(&project.codes, &hints);
    report.warnings.extend(converted.warnings.iter().cloned());
    let name = if project.name.trim().is_empty() {
        path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "imported".into())
    } else {
        project.name.trim().to_string()
    };
    let mut codebook = Codebook::empty(&name);
    if let Some(e) = &embedded {
        codebook.name = e.name.clone();
        codebook.title = e.title.clone();
        codebook.languages = e.languages.clone();
    }
    codebook.format = CODEBOOK_FORMAT;
    codebook.codes = converted.codes;
    let issues: Vec<_> = validate::validate(&codebook).into_iter().filter(|i| i.severity == Severity::Error).collect();
    if !issues.is_empty() {
        return Err(Error::CodebookInvalid { path: qde_path.to_path_buf(), issues });
    }

    // Users become coders.
    let mut coders: HashMap<String, Coder> = HashMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    for u in &project.users {
        let base = [u.name.as_deref(), u.id.as_deref()]
            .into_iter()
            .flatten()
            .map(coder_from)
            .find(|c| !c.is_empty())
            .unwrap_or_else(|| format!("user-{}", &guid_key(&u.guid).chars().take(8).collect::<String>()));
        let mut name = base.clone();
        let mut n = 2;
        while !taken.insert(name.clone()) {
            name = format!("{base}-{n}");
            n += 1;
        }
        coders.insert(guid_key(&u.guid), name.parse().expect("sanitised coder name"));
    }
    let coder_of = |guid: Option<&str>| -> Coder {
        match guid {
            Some(g) => coders.get(&guid_key(g)).cloned().unwrap_or_else(|| {
                format!("user-{}", guid_key(g).chars().filter(char::is_ascii_alphanumeric).take(8).collect::<String>())
                    .parse()
                    .unwrap_or_else(|_| "imported".parse().expect("valid"))
            }),
            None => "imported".parse().expect("valid"),
        }
    };

    // Variables and cases.
    let variable_names: HashMap<String, String> = project.variables.iter().map(|v| (guid_key(&v.guid), v.name.clone())).collect();
    let cases_of = super::cases::link(project, &mut report.warnings);

    let mut sources: Vec<Source> = Vec::new();
    let mut codings: Vec<Coding> = Vec::new();
    let mut ids: HashSet<String> = HashSet::new();
    let mut coded_text = 0usize;
    // Each text is dropped once its source is made.
    for (ts, (raw, entry)) in project.sources.iter().zip(texts) {
        let label = ts.name.clone().unwrap_or_default();
        let original = strip_bom(&raw);
        let map = TextMap::new(original, units);
        let virtual_path = shown(path, &entry);

        // A quire transcript comes back exactly; anything else is a plain body.
        // (Line ends normalised: a program may have rewritten the description with CRLF.)
        let description = ts.description.as_deref().map(normalise_line_ends);
        let restored = description.as_deref().filter(|d| d.starts_with("---\n") && d.ends_with("---\n")).and_then(|header| {
            let text = format!("{header}{}", map.canonical);
            parse_transcript(&virtual_path, &text, options.language).ok().filter(|s| transcript::render(s) == text)
        });
        let (source, kind) = match restored {
            Some(s) => {
                if !ids.insert(s.id.to_string()) {
                    return Err(Error::invalid(Location::line(qde_path, ts.line), format!("source id `{}` is used by two sources", s.id)));
                }
                (s, "restored")
            }
            None => {
                let base = [
                    ts.name.as_deref(),
                    match &ts.text {
                        PlainText::Path(p) => Path::new(p.rsplit('/').next().unwrap_or(p)).file_stem().and_then(|s| s.to_str()),
                        _ => None,
                    },
                ]
                .into_iter()
                .flatten()
                .find_map(source_id_from)
                .or_else(|| source_id_from(&ts.guid))
                .unwrap_or_else(|| "source".into());
                let mut id = base.clone();
                let mut n = 2;
                while !ids.insert(id.clone()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                let linked = cases_of.get(&guid_key(&ts.guid)).map(Vec::as_slice).unwrap_or(&[]);
                if linked.len() > 1 {
                    report.warnings.push(format!(
                        "source `{id}` belongs to {} cases; its speaker takes the variables of the first ({})",
                        linked.len(),
                        linked[0].name.as_deref().unwrap_or(&linked[0].guid)
                    ));
                }
                let attributes = Attributes {
                    source: values_of(&ts.values, &variable_names),
                    speaker: linked.first().map(|c| values_of(&c.values, &variable_names)).unwrap_or_default(),
                };
                let case_name = linked.first().and_then(|c| c.name.clone()).filter(|n| !n.trim().is_empty());
                let text = plain_header(&id, &attributes, case_name.as_deref(), options, &mut report) + &map.canonical;
                (parse_transcript(&virtual_path, &text, options.language)?, "plain")
            }
        };
        debug_assert_eq!(source.body, map.canonical);

        let mut source_report = SourceReport {
            id: source.id.clone(),
            name: label,
            kind,
            segments: source.segments.len(),
            selections: ts.selections.len(),
            codings: 0,
            missed: 0,
        };
        for sel in &ts.selections {
            report.selections += 1;
            let Some(landed) = map.land(sel.start, sel.end) else {
                return Err(Error::invalid(
                    Location::line(qde_path, sel.line),
                    format!(
                        "selection {}: positions {}..{} fall outside source `{}` ({} {} long)",
                        sel.guid,
                        sel.start,
                        sel.end,
                        source.id,
                        map.len(),
                        match units {
                            Units::Utf16 => "UTF-16 code units",
                            _ => "code points",
                        }
                    ),
                ));
            };
            coded_text += landed.text.len() * (1 + sel.codings.len());
            if coded_text > MAX_CODED_TEXT {
                return Err(Error::invalid(
                    Location::line(qde_path, sel.line),
                    format!(
                        "selection {}: the selected texts add up to more than {} MiB, the most quire imports; refused",
                        sel.guid,
                        MAX_CODED_TEXT >> 20
                    ),
                ));
            }
            if let Some(problem) = landed.problem {
                source_report.missed += 1;
                report.misses.push(MissReport { source: source.id.clone(), selection: sel.guid.clone(), problem, text: landed.text.clone() });
            }
            if sel.codings.is_empty() {
                report.without_codings += 1;
            }
            if landed.start >= landed.end {
                continue;
            }
            for c in &sel.codings {
                let Some(code) = converted.paths.get(&guid_key(&c.code)) else {
                    return Err(Error::invalid(
                        Location::line(qde_path, c.line),
                        format!("coding {} refers to code {}, which is not in the codebook", c.guid, c.code),
                    ));
                };
                codings.push(Coding {
                    source: source.id.clone(),
                    start: landed.start,
                    end: landed.end,
                    code: code.clone(),
                    coder: coder_of(c.creating_user.as_deref().or(sel.creating_user.as_deref())),
                    created: c.created.clone().or_else(|| sel.created.clone()).unwrap_or_default(),
                    text: landed.text.clone(),
                    origin: None,
                });
                source_report.codings += 1;
            }
        }
        report.sources.push(source_report);
        sources.push(source);
    }
    codebook::keep_codings_of_folders(&mut codebook, &codings, &mut report.warnings);
    crate::coding::store::normalise(&mut codings);
    let mut used: Vec<Coder> = codings.iter().map(|c| c.coder.clone()).collect();
    used.sort();
    used.dedup();
    sources.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Imported { name, codebook, sources, codings, coders: used, report })
}

/// The header of a `body: plain` transcript: typed values from the case, then the source's
/// variables, then the defaults; every other variable as an attribute.
fn plain_header(id: &str, attrs: &Attributes, case: Option<&str>, options: &Options, report: &mut Report) -> String {
    let find = |key: &str| -> Option<&str> { attrs.speaker.iter().chain(&attrs.source).find(|(k, _)| k == key).map(|(_, v)| v.as_str()) };
    let country = match find("country").map(|c| c.trim().to_ascii_uppercase()).filter(|c| c.parse::<Country>().is_ok()) {
        Some(c) => c,
        None => {
            report.default_countries += 1;
            options.country.to_string()
        }
    };
    let language = find("language").and_then(|l| l.trim().to_ascii_lowercase().parse::<Language>().ok()).unwrap_or(options.language);
    let method = find("method").and_then(|m| m.trim().to_ascii_lowercase().parse::<Method>().ok()).unwrap_or(Method::Interview);
    let role = match find("role").and_then(|r| r.trim().to_ascii_uppercase().parse::<Role>().ok()) {
        Some(r) => r,
        None => {
            report.default_roles += 1;
            options.role
        }
    };
    let gender = find("gender").and_then(|g| g.trim().to_ascii_uppercase().chars().next()).and_then(|g| g.to_string().parse::<Gender>().ok());
    const TYPED: [&str; 10] = ["source", "country", "language", "method", "body", "speaker", "role", "gender", "case", "interviewer"];
    let mut out = format!("---\nsource: {id}\ncountry: {country}\nlanguage: {language}\nmethod: {method}\nbody: plain\n");
    for (k, v) in &attrs.source {
        if !TYPED.contains(&k.as_str()) {
            out.push_str(&format!("{k}: {}\n", header_value(v)));
        }
    }
    out.push_str(&format!("speaker R: role={role}"));
    if let Some(g) = gender {
        out.push_str(&format!(" gender={g}"));
    }
    if let Some(case) = case {
        out.push_str(&format!(" case={}", header_value(case)));
    }
    for (k, v) in &attrs.speaker {
        if !TYPED.contains(&k.as_str()) {
            out.push_str(&format!(" {k}={}", header_value(v)));
        }
    }
    out.push_str("\n---\n");
    out
}
