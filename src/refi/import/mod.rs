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

mod names;
mod texts;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

pub use names::source_id_from;
use names::{coder_from, header_value, values_of, Attributes};
use texts::plain_text;

use super::archive::{Entries, Limits};
use super::codebook::{self, Hints};
use super::landing;
use super::model::{Case, PlainText, QdeProject, Selection, TextSource, User};
use super::positions::{normalise_line_ends, strip_bom, Landed, Miss, TextMap, Units};
use super::{guid_key, qde};
use crate::codebook::{validate, CodePath, Codebook, CODEBOOK_FORMAT};
use crate::coding::{Coder, Coding};
use crate::corpus::{transcript, Country, Gender, Language, Method, Role, Source, SourceId};
use crate::error::{Error, Location, Result, Severity};

/// The entry where a quire export keeps its codebook JSON (ids and autocoding rules).
pub const CODEBOOK_ENTRY: &str = "quire/codebook.json";

/// Most bytes of selected text an import holds (each coding keeps its text): 128 MiB, twice the
/// coding files of quire's 1,000-interview benchmark; a real study's are a few MB.
const MAX_CODED_TEXT: usize = 128 << 20;

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

/// Parses a transcript made in memory; errors name `shown`.
fn parse_transcript(shown: &Path, text: &str, language: Language) -> Result<Source> {
    transcript::parse(shown, text.as_bytes(), language, None)
}

/// Converts a read project: the units its positions are read in ([`choose_units`]), the
/// codebook ([`convert_codebook`]), coders from users ([`Coders`]), then each source with its
/// selections as codings ([`Conversion`]).
pub fn convert(path: &Path, qde_path: &Path, project: &QdeProject, entries: &Entries, options: &Options) -> Result<Imported> {
    let mut report = Report { origin: project.origin.clone(), ..Default::default() };
    report.detected = options.units.is_none();
    // Every plain text first: the units are chosen by how the selections land on them.
    let texts: Vec<(String, String)> = project.sources.iter().map(|ts| plain_text(path, qde_path, entries, ts)).collect::<Result<_>>()?;
    let units = choose_units(qde_path, project, &texts, options, &mut report)?;
    for (what, n) in &project.ignored {
        report.warnings.push(format!("{n} × {what} not imported (quire has no place for it)"));
    }
    let ImportedCodebook { name, mut codebook, paths } = convert_codebook(path, qde_path, project, entries, &mut report)?;
    let coders = Coders::from_users(&project.users);
    // Variables and cases.
    let variable_names: HashMap<String, String> = project.variables.iter().map(|v| (guid_key(&v.guid), v.name.clone())).collect();
    let cases_of = super::cases::link(project, &mut report.warnings);
    let mut conversion = Conversion {
        path,
        qde_path,
        options,
        units,
        code_paths: &paths,
        coders: &coders,
        variable_names,
        cases_of,
        ids: HashSet::new(),
        coded_text: 0,
        report,
        sources: Vec::new(),
        codings: Vec::new(),
    };
    // Each text is dropped once its source is made.
    for (ts, (raw, entry)) in project.sources.iter().zip(texts) {
        conversion.source(ts, &raw, &entry)?;
    }
    let Conversion { mut report, mut sources, mut codings, .. } = conversion;
    codebook::keep_codings_of_folders(&mut codebook, &codings, &mut report.warnings);
    crate::coding::store::normalise(&mut codings);
    let mut used: Vec<Coder> = codings.iter().map(|c| c.coder.clone()).collect();
    used.sort();
    used.dedup();
    sources.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Imported { name, codebook, sources, codings, coders: used, report })
}

/// The units positions are read in: as told, or detected from the producer and switched when
/// another unit lands every selection ([`landing::decide`]); recorded in `report`.
fn choose_units(qde_path: &Path, project: &QdeProject, texts: &[(String, String)], options: &Options, report: &mut Report) -> Result<Units> {
    let planned = options.units.unwrap_or_else(|| Units::detect(project.origin.as_deref()));
    let stripped: Vec<&str> = texts.iter().map(|(t, _)| strip_bom(t)).collect();
    let (units, switched) = landing::decide(qde_path, project, &stripped, planned, !report.detected, &mut report.warnings)?;
    report.switched = switched;
    report.units = Some(units);
    Ok(units)
}

/// The project's codebook, its name, and every code's path by guid ([`guid_key`]).
struct ImportedCodebook {
    name: String,
    codebook: Codebook,
    paths: HashMap<String, CodePath>,
}

/// The code tree as a quire codebook (ids and rules from a quire export's embedded codebook when
/// there is one); refused when the result is not a valid codebook.
fn convert_codebook(path: &Path, qde_path: &Path, project: &QdeProject, entries: &Entries, report: &mut Report) -> Result<ImportedCodebook> {
    let (hints, embedded) = hints(path, entries, report);
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
    Ok(ImportedCodebook { name, codebook, paths: converted.paths })
}

/// Users as coders, by user guid ([`guid_key`]): names made coder names, unique.
struct Coders(HashMap<String, Coder>);

impl Coders {
    fn from_users(users: &[User]) -> Coders {
        let mut coders: HashMap<String, Coder> = HashMap::new();
        let mut taken: HashSet<String> = HashSet::new();
        for u in users {
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
        Coders(coders)
    }

    /// The coder of user `guid`: a user of the file, one named after an unknown guid, or
    /// `imported` when there is none.
    fn of(&self, guid: Option<&str>) -> Coder {
        match guid {
            Some(g) => self.0.get(&guid_key(g)).cloned().unwrap_or_else(|| {
                format!("user-{}", guid_key(g).chars().filter(char::is_ascii_alphanumeric).take(8).collect::<String>())
                    .parse()
                    .unwrap_or_else(|_| "imported".parse().expect("valid"))
            }),
            None => "imported".parse().expect("valid"),
        }
    }
}

/// Sources converted one by one, with their selections as codings, and what is known to do so.
struct Conversion<'a> {
    path: &'a Path,
    qde_path: &'a Path,
    options: &'a Options,
    units: Units,
    /// Every code's path by guid ([`guid_key`]).
    code_paths: &'a HashMap<String, CodePath>,
    coders: &'a Coders,
    /// Variable names by guid ([`guid_key`]).
    variable_names: HashMap<String, String>,
    /// Every source's cases, by source guid.
    cases_of: HashMap<String, Vec<&'a Case>>,
    /// Source ids taken so far.
    ids: HashSet<String>,
    /// Bytes of selected text so far (at most [`MAX_CODED_TEXT`]).
    coded_text: usize,
    report: Report,
    sources: Vec<Source>,
    codings: Vec<Coding>,
}

impl Conversion<'_> {
    /// Converts one text source, whose plain text `raw` came from `entry`.
    fn source(&mut self, ts: &TextSource, raw: &str, entry: &str) -> Result<()> {
        let label = ts.name.clone().unwrap_or_default();
        let map = TextMap::new(strip_bom(raw), self.units);
        let virtual_path = shown(self.path, entry);
        let (source, kind) = self.make_source(ts, &map, &virtual_path)?;
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
            self.selection(sel, &map, &source, &mut source_report)?;
        }
        self.report.sources.push(source_report);
        self.sources.push(source);
        Ok(())
    }

    /// A quire transcript comes back exactly (`restored`); anything else is a plain body (`plain`).
    fn make_source(&mut self, ts: &TextSource, map: &TextMap, virtual_path: &Path) -> Result<(Source, &'static str)> {
        // (Line ends normalised: a program may have rewritten the description with CRLF.)
        let description = ts.description.as_deref().map(normalise_line_ends);
        let restored = description.as_deref().filter(|d| d.starts_with("---\n") && d.ends_with("---\n")).and_then(|header| {
            let text = format!("{header}{}", map.canonical);
            parse_transcript(virtual_path, &text, self.options.language).ok().filter(|s| transcript::render(s) == text)
        });
        match restored {
            Some(s) => {
                if !self.ids.insert(s.id.to_string()) {
                    return Err(Error::invalid(Location::line(self.qde_path, ts.line), format!("source id `{}` is used by two sources", s.id)));
                }
                Ok((s, "restored"))
            }
            None => Ok((self.plain_source(ts, map, virtual_path)?, "plain")),
        }
    }

    /// A `body: plain` transcript of the text: an id from the source's name (or its text's file
    /// name, or its guid), made unique; its speaker's attributes from the linked case.
    fn plain_source(&mut self, ts: &TextSource, map: &TextMap, virtual_path: &Path) -> Result<Source> {
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
        while !self.ids.insert(id.clone()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        let linked = self.cases_of.get(&guid_key(&ts.guid)).map(Vec::as_slice).unwrap_or(&[]);
        if linked.len() > 1 {
            self.report.warnings.push(format!(
                "source `{id}` belongs to {} cases; its speaker takes the variables of the first ({})",
                linked.len(),
                linked[0].name.as_deref().unwrap_or(&linked[0].guid)
            ));
        }
        let attributes = Attributes {
            source: values_of(&ts.values, &self.variable_names),
            speaker: linked.first().map(|c| values_of(&c.values, &self.variable_names)).unwrap_or_default(),
        };
        let case_name = linked.first().and_then(|c| c.name.clone()).filter(|n| !n.trim().is_empty());
        let text = plain_header(&id, &attributes, case_name.as_deref(), self.options, &mut self.report) + &map.canonical;
        parse_transcript(virtual_path, &text, self.options.language)
    }

    /// One selection of `source`: landed on its text (a miss is reported), its codings added.
    fn selection(&mut self, sel: &Selection, map: &TextMap, source: &Source, source_report: &mut SourceReport) -> Result<()> {
        self.report.selections += 1;
        let landed = self.land(sel, map, source)?;
        if let Some(problem) = landed.problem {
            source_report.missed += 1;
            self.report.misses.push(MissReport { source: source.id.clone(), selection: sel.guid.clone(), problem, text: landed.text.clone() });
        }
        if sel.codings.is_empty() {
            self.report.without_codings += 1;
        }
        if landed.start >= landed.end {
            return Ok(());
        }
        for c in &sel.codings {
            let Some(code) = self.code_paths.get(&guid_key(&c.code)) else {
                return Err(Error::invalid(
                    Location::line(self.qde_path, c.line),
                    format!("coding {} refers to code {}, which is not in the codebook", c.guid, c.code),
                ));
            };
            self.codings.push(Coding {
                source: source.id.clone(),
                start: landed.start,
                end: landed.end,
                code: code.clone(),
                coder: self.coders.of(c.creating_user.as_deref().or(sel.creating_user.as_deref())),
                created: c.created.clone().or_else(|| sel.created.clone()).unwrap_or_default(),
                text: landed.text.clone(),
                origin: None,
            });
            source_report.codings += 1;
        }
        Ok(())
    }

    /// `sel` mapped onto the text; refused when it falls outside, or when the selected texts
    /// add up to more than [`MAX_CODED_TEXT`].
    fn land(&mut self, sel: &Selection, map: &TextMap, source: &Source) -> Result<Landed> {
        let Some(landed) = map.land(sel.start, sel.end) else {
            return Err(Error::invalid(
                Location::line(self.qde_path, sel.line),
                format!(
                    "selection {}: positions {}..{} fall outside source `{}` ({} {} long)",
                    sel.guid,
                    sel.start,
                    sel.end,
                    source.id,
                    map.len(),
                    match self.units {
                        Units::Utf16 => "UTF-16 code units",
                        _ => "code points",
                    }
                ),
            ));
        };
        self.coded_text += landed.text.len() * (1 + sel.codings.len());
        if self.coded_text > MAX_CODED_TEXT {
            return Err(Error::invalid(
                Location::line(self.qde_path, sel.line),
                format!(
                    "selection {}: the selected texts add up to more than {} MiB, the most quire imports; refused",
                    sel.guid,
                    MAX_CODED_TEXT >> 20
                ),
            ));
        }
        Ok(landed)
    }
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
